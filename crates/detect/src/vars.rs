//! Rule variables (`$HOME_NET`, `$HTTP_PORTS`, …) and classification
//! severities.
//!
//! Defaults are those of Suricata's stock `suricata.yaml`; a `--vars` file
//! overrides them. Two file forms are read:
//! * `KEY=VALUE` lines (`#` comments); a value that parses as a port group
//!   and whose name ends in `_PORTS` (or `_PORT`) is a port variable, any
//!   other is an address variable;
//! * the `vars:` section of a suricata.yaml (`address-groups:` and
//!   `port-groups:` maps of `NAME: "value"`), read line by line (only this
//!   two-level shape: it is not a general YAML reader).
use std::collections::HashMap;

use crate::error::{ParseError, Result};

/// Address and port variables.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    address: HashMap<String, String>,
    port: HashMap<String, String>,
}

const DEFAULT_ADDRESS: &[(&str, &str)] = &[
    ("HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"),
    ("EXTERNAL_NET", "!$HOME_NET"),
    ("HTTP_SERVERS", "$HOME_NET"),
    ("SMTP_SERVERS", "$HOME_NET"),
    ("SQL_SERVERS", "$HOME_NET"),
    ("DNS_SERVERS", "$HOME_NET"),
    ("TELNET_SERVERS", "$HOME_NET"),
    ("AIM_SERVERS", "$EXTERNAL_NET"),
    ("DC_SERVERS", "$HOME_NET"),
    ("DNP3_SERVER", "$HOME_NET"),
    ("DNP3_CLIENT", "$HOME_NET"),
    ("MODBUS_CLIENT", "$HOME_NET"),
    ("MODBUS_SERVER", "$HOME_NET"),
    ("ENIP_CLIENT", "$HOME_NET"),
    ("ENIP_SERVER", "$HOME_NET"),
];

const DEFAULT_PORT: &[(&str, &str)] = &[
    ("HTTP_PORTS", "80"),
    ("SHELLCODE_PORTS", "!80"),
    ("ORACLE_PORTS", "1521"),
    ("SSH_PORTS", "22"),
    ("DNP3_PORTS", "20000"),
    ("MODBUS_PORTS", "502"),
    ("FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"),
    ("FTP_PORTS", "21"),
    ("GENEVE_PORTS", "6081"),
    ("VXLAN_PORTS", "4789"),
    ("TEREDO_PORTS", "3544"),
    ("SIP_PORTS", "[5060,5061]"),
];

/// Most variables a file may define.
const MAX_VARS: usize = 10_000;

impl Vars {
    /// The variables of Suricata's stock suricata.yaml.
    pub fn suricata_defaults() -> Vars {
        let mut v = Vars::default();
        for (k, val) in DEFAULT_ADDRESS {
            v.set_address(k, val);
        }
        for (k, val) in DEFAULT_PORT {
            v.set_port(k, val);
        }
        v
    }
    pub fn address(&self, name: &str) -> Option<&str> {
        self.address.get(name).map(String::as_str)
    }
    pub fn port(&self, name: &str) -> Option<&str> {
        self.port.get(name).map(String::as_str)
    }
    pub fn set_address(&mut self, name: &str, value: &str) {
        self.address
            .insert(name.to_string(), value.trim().to_string());
    }
    pub fn set_port(&mut self, name: &str, value: &str) {
        self.port.insert(name.to_string(), value.trim().to_string());
    }

    /// Reads a vars file (either form, see the module doc) over the current
    /// values; errors name the line.
    pub fn load_str(&mut self, text: &str) -> Result<()> {
        let mut section: Option<bool> = None; // Some(true) = address, Some(false) = port
        let mut count = 0usize;
        for (n, raw) in text.lines().enumerate() {
            let line = raw.split_once(" #").map_or(raw, |(a, _)| a).trim_end();
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') || t == "---" || t.starts_with("%YAML") {
                continue;
            }
            let err = |m: &str| ParseError::new(format!("vars line {}: {m}", n + 1));
            if let Some((k, v)) = t.split_once('=').filter(|_| !t.contains(':')) {
                let (k, v) = (k.trim(), unquote(v.trim()));
                check_name(k).map_err(|_| err("bad variable name"))?;
                if k.ends_with("_PORTS") || k.ends_with("_PORT") {
                    self.set_port(k, v);
                } else {
                    self.set_address(k, v);
                }
            } else if let Some((k, v)) = t.split_once(':') {
                let (k, v) = (k.trim(), v.trim());
                match (k, v.is_empty()) {
                    ("vars", true) => section = None,
                    ("address-groups", true) => section = Some(true),
                    ("port-groups", true) => section = Some(false),
                    (_, true) => section = None,
                    (_, false) => {
                        let indented = line.starts_with(' ') || line.starts_with('\t');
                        match section {
                            Some(addr) if indented => {
                                check_name(k).map_err(|_| err("bad variable name"))?;
                                if addr {
                                    self.set_address(k, unquote(v));
                                } else {
                                    self.set_port(k, unquote(v));
                                }
                            }
                            _ => {}
                        }
                    }
                }
            } else {
                return Err(err("expected KEY=VALUE or a vars: YAML section"));
            }
            count += 1;
            if count > MAX_VARS {
                return Err(ParseError::new("vars file: too many variables"));
            }
        }
        Ok(())
    }
}

fn unquote(v: &str) -> &str {
    let v = v.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return &v[1..v.len() - 1];
        }
    }
    v
}

fn check_name(k: &str) -> std::result::Result<(), ()> {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(())
    } else {
        Err(())
    }
}

/// One `config classification: shortname,description,priority` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub name: String,
    pub description: String,
    pub priority: u8,
}

/// `classification.config`: classtype → description and priority (the
/// alert's severity unless the rule sets `priority`).
#[derive(Debug, Clone, Default)]
pub struct Classifications {
    map: HashMap<String, Classification>,
}

impl Classifications {
    /// Parses classification.config text; bad lines are returned with their
    /// line numbers, the good ones kept.
    pub fn parse(text: &str) -> (Classifications, Vec<(usize, String)>) {
        let mut c = Classifications::default();
        let mut bad = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let Some(rest) = t.strip_prefix("config classification:") else {
                bad.push((n + 1, "not a 'config classification:' line".to_string()));
                continue;
            };
            let parts: Vec<&str> = rest.split(',').map(str::trim).collect();
            let prio = parts.get(2).and_then(|p| p.parse::<u8>().ok());
            match (parts.len(), prio) {
                (3, Some(priority)) if !parts[0].is_empty() => {
                    c.map.insert(
                        parts[0].to_string(),
                        Classification {
                            name: parts[0].to_string(),
                            description: parts[1].to_string(),
                            priority,
                        },
                    );
                }
                _ => bad.push((n + 1, "expected name,description,priority".to_string())),
            }
        }
        (c, bad)
    }
    pub fn get(&self, name: &str) -> Option<&Classification> {
        self.map.get(name)
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_value_file() {
        let mut v = Vars::suricata_defaults();
        v.load_str("# mine\nHOME_NET=[10.1.0.0/16]\nHTTP_PORTS=\"[80,8080]\"\n")
            .unwrap();
        assert_eq!(v.address("HOME_NET"), Some("[10.1.0.0/16]"));
        assert_eq!(v.port("HTTP_PORTS"), Some("[80,8080]"));
        assert_eq!(v.address("EXTERNAL_NET"), Some("!$HOME_NET"));
        assert!(v.load_str("what is this\n").is_err());
    }

    #[test]
    fn yaml_vars_section() {
        let mut v = Vars::suricata_defaults();
        let y = "%YAML 1.1\n---\nvars:\n  address-groups:\n    HOME_NET: \"[192.0.2.0/24]\"\n    EXTERNAL_NET: \"any\"\n  port-groups:\n    HTTP_PORTS: \"[80,81]\" # web\nother:\n  x: 1\n";
        v.load_str(y).unwrap();
        assert_eq!(v.address("HOME_NET"), Some("[192.0.2.0/24]"));
        assert_eq!(v.address("EXTERNAL_NET"), Some("any"));
        assert_eq!(v.port("HTTP_PORTS"), Some("[80,81]"));
        assert_eq!(v.address("x"), None);
    }

    #[test]
    fn classification_config() {
        let (c, bad) = Classifications::parse(
            "# c\nconfig classification: trojan-activity,A Network Trojan was detected,1\nconfig classification: bad\nnonsense\n",
        );
        assert_eq!(c.get("trojan-activity").unwrap().priority, 1);
        assert_eq!(bad.iter().map(|b| b.0).collect::<Vec<_>>(), vec![3, 4]);
    }
}
