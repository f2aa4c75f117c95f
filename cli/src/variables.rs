//! A job's secrets as environment variables, shared by `exec` and `export`: which secrets, under
//! which names, with which values, and every refusal. Errors name secrets and variables, never
//! values.

use std::collections::BTreeMap;

use serde_json::Value;
use vdk_secrets::SecretMap;
use zeroize::Zeroizing;

use crate::env_args::VariableArgs;
use crate::env_names;
use crate::error::{CliError, NOT_FOUND};
use crate::plan::printable;

/// One variable made of one secret.
pub struct Variable {
    pub name: String,
    pub secret: String,
    pub value: Zeroizing<String>,
}

impl Variable {
    /// `variable NAME (secret 'name')`, for messages.
    pub fn describe(&self) -> String {
        describe(&self.name, &self.secret)
    }
}

fn describe(name: &str, secret: &str) -> String {
    format!("{} (secret '{}')", printable(name), printable(secret))
}

/// Checks what can be checked before the secrets are read.
pub fn check_args(args: &VariableArgs) -> Result<(), CliError> {
    if !args.prefix.is_empty() && !env_names::is_valid(&args.prefix) {
        return Err(CliError::invalid(
            format!("--prefix '{}' cannot start a variable name", printable(&args.prefix)),
            "Use letters, digits and '_', not starting with a digit, e.g. --prefix APP_.",
        ));
    }
    Ok(())
}

/// The variables of `secrets` (sorted by name), or the first kind of problem found, naming
/// every secret that has it.
pub fn from_secrets(secrets: &SecretMap, args: &VariableArgs, who: &str) -> Result<Vec<Variable>, CliError> {
    let selected = select(secrets, &args.only, who)?;
    let names = name_all(&selected, args)?;
    refuse_dangerous(&names, &args.allow)?;

    let mut variables = Vec::with_capacity(names.len());
    let mut with_nul = Vec::new();
    for (name, secret) in names {
        let value = value_text(&secrets.as_map()[secret.as_str()]);
        if value.contains('\0') {
            with_nul.push(describe(&name, &secret));
        }
        variables.push(Variable { name, secret, value });
    }
    if !with_nul.is_empty() {
        return Err(CliError::invalid(
            format!("a variable cannot hold a NUL byte: {}", with_nul.join(", ")),
            "Remove the NUL byte from the secret, or leave it out with --only; nothing was run or written.",
        ));
    }
    Ok(variables)
}

/// Strings as they are; every other value as compact JSON.
pub fn value_text(value: &Value) -> Zeroizing<String> {
    match value {
        Value::String(s) => Zeroizing::new(s.clone()),
        other => Zeroizing::new(serde_json::to_string(other).expect("a JSON value serializes")),
    }
}

fn select(secrets: &SecretMap, only: &[String], who: &str) -> Result<Vec<String>, CliError> {
    if only.is_empty() {
        return Ok(secrets.as_map().keys().cloned().collect());
    }
    let missing: Vec<String> = only
        .iter()
        .filter(|name| secrets.get(name).is_none())
        .map(|name| format!("'{}'", printable(name)))
        .collect();
    if !missing.is_empty() {
        return Err(CliError::new(
            NOT_FOUND,
            format!("{who} has no secret named {}", missing.join(", ")),
            "Check the names given with --only; `vdk-secrets -n JOB -t TEAM --list` shows the job's secrets.",
        ));
    }
    let mut selected: Vec<String> = only.to_vec();
    selected.sort();
    selected.dedup();
    Ok(selected)
}

/// Variable name → secret name, refusing invalid names and two secrets giving one name.
fn name_all(selected: &[String], args: &VariableArgs) -> Result<BTreeMap<String, String>, CliError> {
    let mut by_name: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    let mut invalid = Vec::new();
    for secret in selected {
        let base = if args.no_transform {
            secret.clone()
        } else {
            env_names::transform(secret)
        };
        let name = format!("{}{base}", args.prefix);
        if env_names::is_valid(&name) {
            by_name.entry(name).or_default().push(secret);
        } else {
            invalid.push(describe(&name, secret));
        }
    }
    if !invalid.is_empty() {
        let what_to_do = if args.no_transform {
            "Variable names are letters, digits and '_', not starting with a digit: drop --no-transform, \
             or leave the secret out with --only."
        } else {
            "A variable name cannot start with a digit: give a --prefix (e.g. --prefix S_), or leave the \
             secret out with --only."
        };
        return Err(CliError::invalid(
            format!("not a valid variable name: {}", invalid.join(", ")),
            what_to_do,
        ));
    }
    let collisions: Vec<String> = by_name
        .iter()
        .filter(|(_, secrets)| secrets.len() > 1)
        .map(|(name, secrets)| {
            let secrets: Vec<String> = secrets.iter().map(|s| format!("'{}'", printable(s))).collect();
            format!("{} (secrets {})", printable(name), secrets.join(" and "))
        })
        .collect();
    if !collisions.is_empty() {
        return Err(CliError::invalid(
            format!("secrets give the same variable name: {}", collisions.join("; ")),
            "Rename one of the secrets, or pass one of them with --only; nothing was run or written.",
        ));
    }
    Ok(by_name
        .into_iter()
        .map(|(name, mut secrets)| (name, secrets.remove(0).clone()))
        .collect())
}

fn refuse_dangerous(names: &BTreeMap<String, String>, allow: &[String]) -> Result<(), CliError> {
    let refused: Vec<String> = names
        .iter()
        .filter(|(name, _)| env_names::is_refused(name) && !allow.contains(name))
        .map(|(name, secret)| describe(name, secret))
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    Err(CliError::invalid(
        format!(
            "refused variable name: {} ({} change how programs are loaded or run)",
            refused.join(", "),
            env_names::refused_list()
        ),
        "If the job really needs it, allow it by name with --allow NAME; nothing was run or written.",
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> SecretMap {
        SecretMap::from_json(value.to_string().as_bytes()).unwrap()
    }

    fn names(variables: &[Variable]) -> Vec<&str> {
        variables.iter().map(|v| v.name.as_str()).collect()
    }

    #[test]
    fn values_are_strings_as_they_are_and_json_otherwise() {
        let secrets = map(json!({"s": "a b", "n": 5, "f": 2.5, "b": true, "z": null, "o": {"k": [1, "x"]}}));
        let variables = from_secrets(&secrets, &VariableArgs::default(), "job").unwrap();
        let values: Vec<(&str, &str)> = variables.iter().map(|v| (v.name.as_str(), v.value.as_str())).collect();
        assert_eq!(
            values,
            vec![
                ("B", "true"),
                ("F", "2.5"),
                ("N", "5"),
                ("O", "{\"k\":[1,\"x\"]}"),
                ("S", "a b"),
                ("Z", "null")
            ]
        );
    }

    #[test]
    fn prefix_no_transform_and_only() {
        let secrets = map(json!({"api-key": "1", "Mixed_Case": "2", "other": "3"}));
        let args = VariableArgs {
            prefix: "APP_".into(),
            ..VariableArgs::default()
        };
        assert_eq!(
            names(&from_secrets(&secrets, &args, "job").unwrap()),
            ["APP_API_KEY", "APP_MIXED_CASE", "APP_OTHER"]
        );
        let args = VariableArgs {
            no_transform: true,
            only: vec!["Mixed_Case".into(), "other".into(), "other".into()],
            ..VariableArgs::default()
        };
        assert_eq!(
            names(&from_secrets(&secrets, &args, "job").unwrap()),
            ["Mixed_Case", "other"]
        );
        let args = VariableArgs {
            no_transform: true,
            ..VariableArgs::default()
        };
        let error = from_secrets(&secrets, &args, "job").err().unwrap();
        assert_eq!(error.code, 3);
        assert!(error.message.contains("api-key"), "{}", error.message);
    }

    #[test]
    fn a_missing_only_secret_is_not_found() {
        let secrets = map(json!({"a": "1"}));
        let args = VariableArgs {
            only: vec!["a".into(), "b".into()],
            ..VariableArgs::default()
        };
        let error = from_secrets(&secrets, &args, "job j").err().unwrap();
        assert_eq!(error.code, NOT_FOUND);
        assert!(error.message.contains("'b'"), "{}", error.message);
    }

    #[test]
    fn collisions_refused_names_and_nul_name_no_value() {
        let secrets = map(json!({"api-key": "value-1", "API_KEY": "value-2"}));
        let error = from_secrets(&secrets, &VariableArgs::default(), "job").err().unwrap();
        assert!(
            error.message.contains("API_KEY (secrets 'API_KEY' and 'api-key')"),
            "{}",
            error.message
        );
        assert!(!error.message.contains("value-"), "{}", error.message);

        let secrets = map(json!({"ld-preload": "/tmp/x.so", "path": "/evil"}));
        let error = from_secrets(&secrets, &VariableArgs::default(), "job").err().unwrap();
        assert!(
            error.message.contains("LD_PRELOAD (secret 'ld-preload')"),
            "{}",
            error.message
        );
        assert!(error.message.contains("PATH (secret 'path')"), "{}", error.message);
        assert!(!error.message.contains("/evil"), "{}", error.message);
        let args = VariableArgs {
            allow: vec!["PATH".into(), "LD_PRELOAD".into()],
            ..VariableArgs::default()
        };
        assert_eq!(
            names(&from_secrets(&secrets, &args, "job").unwrap()),
            ["LD_PRELOAD", "PATH"]
        );

        let secrets = map(json!({"nul": "before\u{0}after"}));
        let error = from_secrets(&secrets, &VariableArgs::default(), "job").err().unwrap();
        assert!(error.message.contains("NUL (secret 'nul')"), "{}", error.message);
        assert!(!error.message.contains("before"), "{}", error.message);
    }

    #[test]
    fn a_prefix_must_start_a_valid_name() {
        for bad in ["1", "A-", "A B"] {
            let args = VariableArgs {
                prefix: bad.into(),
                ..VariableArgs::default()
            };
            assert!(check_args(&args).is_err(), "{bad}");
        }
        assert!(check_args(&VariableArgs::default()).is_ok());
    }
}
