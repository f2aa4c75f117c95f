//! Environment variable names for secrets (`exec`, `export`): how a secret's name becomes a
//! variable name, which names are valid, and which are refused unless allowed one by one.

/// Variables that change how the dynamic loader or a shell loads or runs programs. A secret
/// (that is, whoever controls the Control Service) must not be able to plant them silently.
pub const REFUSED_NAMES: &[&str] = &["BASH_ENV", "ENV", "IFS", "PATH", "SHELLOPTS", "PS4"];
/// Prefixes of the same kind: glibc's and musl's loader (`LD_PRELOAD`, `LD_LIBRARY_PATH`, ...)
/// and macOS's dyld (`DYLD_INSERT_LIBRARIES`, ...).
pub const REFUSED_PREFIXES: &[&str] = &["LD_", "DYLD_"];

/// The secret's name upper-cased, with every character outside `[A-Z0-9_]` turned into `_`
/// (one `_` per character, so the length in characters is kept).
pub fn transform(secret: &str) -> String {
    secret
        .chars()
        .map(|c| {
            let upper = c.to_ascii_uppercase();
            if upper.is_ascii_uppercase() || upper.is_ascii_digit() || upper == '_' {
                upper
            } else {
                '_'
            }
        })
        .collect()
}

/// A name every shell accepts in `export NAME=...`: `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_valid(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) if first.is_ascii_alphabetic() || first == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether `name` is one of the refused names. Compared without regard to case: the loader
/// only reads `LD_PRELOAD`, but a refusal costs nothing and `--allow` lifts it.
pub fn is_refused(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    REFUSED_NAMES.contains(&upper.as_str()) || REFUSED_PREFIXES.iter().any(|prefix| upper.starts_with(prefix))
}

/// The refused names as the documentation and error messages list them.
pub fn refused_list() -> String {
    let mut parts: Vec<String> = REFUSED_PREFIXES.iter().map(|p| format!("{p}*")).collect();
    parts.extend(REFUSED_NAMES.iter().map(|n| n.to_string()));
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transform_upper_cases_and_replaces_everything_else() {
        assert_eq!(transform("api-key"), "API_KEY");
        assert_eq!(transform("db.password_2"), "DB_PASSWORD_2");
        assert_eq!(transform("Already_OK"), "ALREADY_OK");
        assert_eq!(transform("pässwort"), "P_SSWORT");
        assert_eq!(transform("a b/c"), "A_B_C");
        assert_eq!(transform("1st"), "1ST");
    }

    #[test]
    fn valid_names_are_shell_identifiers() {
        for name in ["A", "_", "a_1", "API_KEY", "_X9"] {
            assert!(is_valid(name), "{name}");
        }
        for name in ["", "1ST", "A-B", "A B", "Ä", "A=B", "A.B"] {
            assert!(!is_valid(name), "{name}");
        }
    }

    #[test]
    fn loader_and_shell_variables_are_refused() {
        for name in [
            "LD_PRELOAD",
            "LD_LIBRARY_PATH",
            "ld_preload",
            "DYLD_INSERT_LIBRARIES",
            "BASH_ENV",
            "ENV",
            "IFS",
            "PATH",
            "SHELLOPTS",
            "PS4",
        ] {
            assert!(is_refused(name), "{name}");
        }
        for name in ["LDAP_URL", "PATH_PREFIX", "ENVIRONMENT", "API_KEY", "MY_PATH"] {
            assert!(!is_refused(name), "{name}");
        }
        assert_eq!(refused_list(), "LD_*, DYLD_*, BASH_ENV, ENV, IFS, PATH, SHELLOPTS, PS4");
    }
}
