//! The route table: which function serves which method and path, as the template's HTTP API
//! routes say (tests/tests/suite/routes.rs holds the three to one another).

use std::collections::BTreeMap;

/// The table's place in the workspace's `Cargo.toml`.
pub const TABLE: [&str; 3] = ["workspace", "metadata", "local"];
const ROUTES: &str = "routes";

/// One route: a path template (`/v1/records/{record_id}`), a method and its function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub path: String,
    pub method: String,
    pub function: String,
}

/// Every route, in the table's order.
#[derive(Debug, Clone, Default)]
pub struct Routes(Vec<Route>);

/// A matched route: its function, its route key and the path's parameters.
#[derive(Debug, PartialEq, Eq)]
pub struct Matched<'a> {
    pub function: &'a str,
    pub route_key: String,
    pub parameters: BTreeMap<String, String>,
}

impl Routes {
    /// Reads `[workspace.metadata.local.routes]` of a `Cargo.toml`: `"/path" = "function"`
    /// (every method) or `"/path" = [{ method = "GET", function = "f" }, …]`.
    pub fn from_cargo_toml(text: &str) -> Result<Routes, String> {
        let doc: toml_edit::DocumentMut = text.parse().map_err(|e| format!("Cargo.toml: {e}"))?;
        let mut item = doc.as_item();
        for name in TABLE.iter().chain([&ROUTES]) {
            item = item
                .get(name)
                .ok_or_else(|| format!("Cargo.toml has no [{}.{ROUTES}]", TABLE.join(".")))?;
        }
        let table = item
            .as_table_like()
            .ok_or("the route table is not a table")?;
        let mut routes = Vec::new();
        for (path, value) in table.iter() {
            let bad = || format!("route {path}: neither \"function\" nor [{{ method, function }}]");
            if let Some(function) = value.as_str() {
                routes.push(Route {
                    path: path.to_owned(),
                    method: "ANY".into(),
                    function: function.to_owned(),
                });
                continue;
            }
            let array = value.as_array().ok_or_else(bad)?;
            for entry in array.iter() {
                let entry = entry.as_inline_table().ok_or_else(bad)?;
                let field = |k: &str| entry.get(k).and_then(|v| v.as_str()).ok_or_else(bad);
                routes.push(Route {
                    path: path.to_owned(),
                    method: field("method")?.to_ascii_uppercase(),
                    function: field("function")?.to_owned(),
                });
            }
        }
        Ok(Routes(routes))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Route> {
        self.0.iter()
    }

    /// The route for `method` and `path`, as API Gateway matches them: literal segments
    /// before a parameter (`/v1/certificates/public-key` before `/{certificate_id}`), a
    /// parameter matching one non-empty segment.
    pub fn find(&self, method: &str, path: &str) -> Option<Matched<'_>> {
        let segments: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .filter(|r| r.method == method || r.method == "ANY")
            .filter_map(|r| {
                let template: Vec<&str> = r.path.split('/').collect();
                if template.len() != segments.len() {
                    return None;
                }
                let mut parameters = BTreeMap::new();
                let mut literals = 0;
                for (t, s) in template.iter().zip(&segments) {
                    match t.strip_prefix('{').and_then(|t| t.strip_suffix('}')) {
                        Some(name) if !s.is_empty() => {
                            parameters.insert(name.to_owned(), (*s).to_owned());
                        }
                        Some(_) => return None,
                        None if t == s => literals += 1,
                        None => return None,
                    }
                }
                Some((literals, r, parameters))
            })
            .max_by_key(|(literals, _, _)| *literals)
            .map(|(_, r, parameters)| Matched {
                function: &r.function,
                route_key: format!("{} {}", r.method, r.path),
                parameters,
            })
    }

    /// The functions the table names, once each.
    pub fn functions(&self) -> Vec<String> {
        let mut names: Vec<String> = self.0.iter().map(|r| r.function.clone()).collect();
        names.sort();
        names.dedup();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
[workspace.metadata.local.routes]
"/v1/records" = [
    { method = "POST", function = "intake" },
    { method = "GET", function = "lookup" },
]
"/v1/records/{record_id}" = [{ method = "GET", function = "lookup" }]
"/v1/certificates/{certificate_id}" = [{ method = "GET", function = "certify" }]
"/v1/certificates/public-key" = [{ method = "GET", function = "certify" }]
"/console" = "console"
"#;

    #[test]
    fn methods_literals_and_parameters_choose_the_route() {
        let routes = Routes::from_cargo_toml(TOML).unwrap();
        assert_eq!(
            routes.find("POST", "/v1/records").unwrap().function,
            "intake"
        );
        assert_eq!(
            routes.find("GET", "/v1/records").unwrap().function,
            "lookup"
        );
        let one = routes.find("GET", "/v1/records/r-1").unwrap();
        assert_eq!(one.route_key, "GET /v1/records/{record_id}");
        assert_eq!(one.parameters["record_id"], "r-1");
        let key = routes.find("GET", "/v1/certificates/public-key").unwrap();
        assert!(key.parameters.is_empty(), "the literal route wins");
        assert_eq!(routes.find("PUT", "/console").unwrap().function, "console");
        assert_eq!(routes.find("PUT", "/v1/records"), None);
        assert_eq!(
            routes.find("GET", "/v1/records/"),
            None,
            "a parameter is never empty"
        );
        assert_eq!(routes.find("GET", "/v1/nothing"), None);
        assert_eq!(
            routes.functions(),
            ["certify", "console", "intake", "lookup"]
        );
    }

    #[test]
    fn a_malformed_table_is_refused() {
        assert!(Routes::from_cargo_toml("[workspace]").is_err());
        let odd = "[workspace.metadata.local.routes]\n\"/x\" = [{ method = \"GET\" }]\n";
        assert!(Routes::from_cargo_toml(odd).is_err());
    }
}
