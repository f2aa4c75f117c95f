//! Which proxy a request goes through, as curl and reqwest decide it.
//!
//! `control_http_proxy` unset: `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` / `NO_PROXY` (either
//! case) decide, read once when the client is built; `none`: always direct; a URL: that proxy
//! for every request, except hosts that `NO_PROXY` lists. reqwest does the proxying (CONNECT
//! tunnels for https, absolute-form requests for http, Basic credentials from the URL); this
//! module builds the same hyper-util matcher reqwest uses, so that an error can name the proxy
//! a request went through, and collects the proxy credentials so that no text ever shows them.

use hyper_util::client::proxy::matcher::Matcher;
use reqwest::{ClientBuilder, NoProxy, Proxy};
use url::Url;

use crate::config::{Config, ProxyChoice};
use crate::error::{Error, Result};
use crate::secret::SecretString;

/// The variables that may name a proxy; their credentials are redacted from every text.
const PROXY_VARIABLES: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

pub(crate) struct Proxies {
    choice: Option<ProxyChoice>,
    /// `None` when every request goes direct.
    matcher: Option<Matcher>,
    /// User names and passwords of every proxy that may be used, raw and percent-encoded.
    credentials: Vec<SecretString>,
}

impl Proxies {
    pub fn new(config: &Config) -> Self {
        let mut credentials = Vec::new();
        let matcher = match &config.proxy {
            Some(ProxyChoice::Direct) => None,
            Some(ProxyChoice::Url(url)) => {
                collect_credentials(url.expose(), &mut credentials);
                Some(
                    Matcher::builder()
                        .all(url.expose().to_string())
                        .no(no_proxy_variable())
                        .build(),
                )
            }
            None => {
                for name in PROXY_VARIABLES {
                    if let Ok(value) = std::env::var(name) {
                        collect_credentials(&value, &mut credentials);
                    }
                }
                Some(Matcher::from_env())
            }
        };
        Proxies {
            choice: config.proxy.clone(),
            matcher,
            credentials,
        }
    }

    /// Tells reqwest the same choice.
    pub fn configure(&self, builder: ClientBuilder) -> Result<ClientBuilder> {
        Ok(match &self.choice {
            None => builder, // reqwest reads the same variables itself
            Some(ProxyChoice::Direct) => builder.no_proxy(),
            Some(ProxyChoice::Url(url)) => {
                let proxy = Proxy::all(url.expose()).map_err(|_| {
                    Error::configuration("configuration key 'control_http_proxy' is not a usable proxy URL")
                })?;
                builder.proxy(proxy.no_proxy(NoProxy::from_env()))
            }
        })
    }

    /// The proxy a request to `url` goes through, as `scheme://host:port` (never credentials).
    pub fn for_url(&self, url: &Url) -> Option<String> {
        let uri: http::Uri = url.as_str().parse().ok()?;
        let intercept = self.matcher.as_ref()?.intercept(&uri)?;
        let proxy = intercept.uri();
        let authority = proxy.authority()?;
        // An authority may still hold `user:password@`; keep only host and port.
        let host_port = authority.as_str().rsplit('@').next().unwrap_or_default();
        Some(format!("{}://{host_port}", proxy.scheme_str().unwrap_or("http")))
    }

    /// Whether a proxy URL uses TLS itself (then the client needs roots even for http).
    pub fn any_https(&self, urls: &[&Url]) -> bool {
        urls.iter()
            .filter_map(|url| self.for_url(url))
            .any(|proxy| proxy.starts_with("https://"))
    }

    pub fn credentials(&self) -> impl Iterator<Item = &str> {
        self.credentials.iter().map(SecretString::expose)
    }

    /// Removes proxy credentials from a text of the HTTP stack's, in every form the shared
    /// redactor knows (raw, percent- or JSON-encoded, cut).
    pub fn clean(&self, text: &str) -> String {
        crate::error::Redactor::new(self.credentials().collect()).clean(text)
    }
}

fn no_proxy_variable() -> String {
    std::env::var("NO_PROXY")
        .or_else(|_| std::env::var("no_proxy"))
        .unwrap_or_default()
}

/// A proxy URL's user name and password, decoded and as written (a server or a library may
/// echo either); parts shorter than 4 characters are left alone, like short secret values.
fn collect_credentials(proxy_url: &str, into: &mut Vec<SecretString>) {
    let with_scheme = if proxy_url.contains("://") {
        proxy_url.to_string()
    } else {
        format!("http://{proxy_url}")
    };
    let Ok(url) = Url::parse(&with_scheme) else {
        return;
    };
    for part in [url.username(), url.password().unwrap_or_default()] {
        if part.len() < 4 {
            continue;
        }
        into.push(SecretString::new(part.to_string()));
        let decoded = percent_encoding::percent_decode_str(part).decode_utf8_lossy();
        if decoded != part {
            into.push(SecretString::new(decoded.into_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_proxy_without_credentials_and_honours_no_proxy() {
        let config = Config::from_json(r#"{"control_http_proxy": "http://us%65r:pa55word@proxy.test:3128"}"#).unwrap();
        let proxies = Proxies::new(&config);
        let url = Url::parse("https://control.example/api").unwrap();
        assert_eq!(proxies.for_url(&url).as_deref(), Some("http://proxy.test:3128"));
        let secrets: Vec<&str> = proxies.credentials().collect();
        assert!(secrets.contains(&"pa55word") && secrets.contains(&"us%65r") && secrets.contains(&"user"));
        let direct = Config::from_json(r#"{"control_http_proxy": "NONE"}"#).unwrap();
        assert_eq!(Proxies::new(&direct).for_url(&url), None);
    }

    #[test]
    fn proxy_values_are_checked_without_being_echoed() {
        for bad in ["ftp://u:hunter22@p:1", "not a url hunter22", "http://"] {
            let e = Config::from_json(&serde_json::json!({ "control_http_proxy": bad }).to_string()).unwrap_err();
            assert!(e.message().contains("control_http_proxy"), "{}", e.message());
            assert!(!e.message().contains("hunter22"), "{}", e.message());
        }
    }
}
