//! `infra/template.yaml` as CloudFormation reads it, resolved for one test's stack, and
//! its policies adapted to what moto enforces.

use super::*;

/// `infra/template.yaml` as CloudFormation reads it: the short tags in their long form
/// (`!GetAtt A.B` is `{"Fn::GetAtt": "A.B"}`, `!Ref X` is `{"Ref": "X"}`).
pub struct Template(Value);

/// The functions, by the role each runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    Intake,
    Review,
    Lookup,
    Purge,
    Backstop,
    Console,
    Notify,
}

impl Function {
    /// The logical id of the function's role in the template.
    pub fn role(self) -> &'static str {
        match self {
            Function::Intake => "IntakeRole",
            Function::Review => "ReviewRole",
            Function::Lookup => "LookupRole",
            Function::Purge => "PurgeRole",
            Function::Backstop => "BackstopRole",
            Function::Console => "ConsoleRole",
            Function::Notify => "NotifyRole",
        }
    }
}

/// What CloudFormation resolves the template's intrinsic functions to in one test's stack.
pub struct Deployment {
    pub stack_name: String,
    pub region: String,
    pub account: String,
    /// `!Ref` values of the resources the test created (`Table`: its name).
    pub refs: HashMap<String, String>,
    /// `!GetAtt` values of the resources the test created (`Table.Arn`, `DataKey.Arn`, …).
    pub attributes: HashMap<String, String>,
}

impl Deployment {
    /// The name of the IAM role standing for the template's role `logical_id`.
    pub fn role_name(&self, logical_id: &str) -> String {
        format!("{}-{logical_id}", self.stack_name)
    }
}

pub(crate) fn long_form(v: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                json!(i)
            } else if let Some(u) = n.as_u64() {
                json!(u)
            } else {
                json!(n.as_f64())
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(long_form).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| match k {
                    Y::String(k) => (k, long_form(v)),
                    other => panic!("a template key that is not a string: {other:?}"),
                })
                .collect(),
        ),
        Y::Tagged(t) => {
            let tag = t.tag.to_string();
            let name = tag.trim_start_matches('!');
            let key = match name {
                "Ref" | "Condition" => name.to_owned(),
                _ => format!("Fn::{name}"),
            };
            json!({ key: long_form(t.value) })
        }
    }
}

pub(crate) fn as_str<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: expected a string, found {v}"))
}

impl Template {
    pub fn load() -> Template {
        let text = std::fs::read_to_string(TEMPLATE).expect("read infra/template.yaml");
        let yaml: serde_norway::Value =
            serde_norway::from_str(&text).expect("infra/template.yaml is YAML");
        Template(long_form(yaml))
    }

    /// Every resource of the template by logical id, unresolved.
    pub fn resources(&self) -> &Map<String, Value> {
        self.0["Resources"].as_object().expect("Resources")
    }

    pub fn resource(&self, logical_id: &str) -> &Value {
        let r = &self.0["Resources"][logical_id];
        assert!(r.is_object(), "the template has no resource {logical_id}");
        r
    }

    /// Every policy the template gives role `role`: its inline `Policies`, and every
    /// `AWS::IAM::Policy` or `AWS::IAM::ManagedPolicy` attached to it by `Roles`. As
    /// `(name, document)`, unresolved.
    pub fn role_policies(&self, role: &str) -> Vec<(Value, Value)> {
        let r = self.resource(role);
        assert_eq!(r["Type"], "AWS::IAM::Role", "{role}");
        assert!(
            r["Properties"].get("ManagedPolicyArns").is_none(),
            "{role} has managed policies, which the IAM tests cannot give moto"
        );
        let mut out: Vec<(Value, Value)> = r["Properties"]["Policies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| (p["PolicyName"].clone(), p["PolicyDocument"].clone()))
            .collect();
        let resources = self.0["Resources"].as_object().expect("Resources");
        for (id, res) in resources {
            let attached = matches!(
                res["Type"].as_str(),
                Some("AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy")
            ) && res["Properties"]["Roles"]
                .as_array()
                .is_some_and(|roles| roles.contains(&json!({ "Ref": role })));
            if attached {
                let name = res["Properties"]
                    .get("PolicyName")
                    .or_else(|| res["Properties"].get("ManagedPolicyName"))
                    .cloned()
                    .unwrap_or_else(|| json!(id));
                out.push((name, res["Properties"]["PolicyDocument"].clone()));
            }
        }
        assert!(!out.is_empty(), "{role} has no policy");
        out
    }

    /// The environment variables of the function that runs with role `role`, unresolved.
    pub fn function_environment(&self, role: &str) -> Map<String, Value> {
        let resources = self.0["Resources"].as_object().expect("Resources");
        let functions: Vec<_> = resources
            .values()
            .filter(|r| {
                let role_of = &r["Properties"]["Role"]["Fn::GetAtt"];
                r["Type"] == "AWS::Serverless::Function"
                    && (*role_of == json!(format!("{role}.Arn"))
                        || *role_of == json!([role, "Arn"]))
            })
            .collect();
        assert_eq!(functions.len(), 1, "one function runs with {role}");
        functions[0]["Properties"]["Environment"]["Variables"]
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    /// `value` with every intrinsic function resolved in `d`. Panics on one it does not
    /// know (`Fn::If`, `Fn::FindInMap`, …): extend this when the roles start using one.
    pub fn resolve(&self, value: &Value, d: &Deployment) -> Value {
        match value {
            Value::Array(items) => Value::Array(items.iter().map(|v| self.resolve(v, d)).collect()),
            Value::Object(map) if map.len() == 1 => {
                let (key, arg) = map.iter().next().expect("one entry");
                match key.as_str() {
                    "Ref" => json!(self.reference(as_str(arg, "Ref"), d)),
                    "Fn::GetAtt" => {
                        let (res, attr) = match arg {
                            Value::String(s) => s.split_once('.').expect("Resource.Attribute"),
                            _ => (as_str(&arg[0], "GetAtt"), as_str(&arg[1], "GetAtt")),
                        };
                        json!(self.attribute(res, attr, d))
                    }
                    "Fn::Sub" => {
                        let (text, vars) = match arg {
                            Value::String(s) => (s.as_str(), Map::new()),
                            _ => (
                                as_str(&arg[0], "Sub"),
                                arg[1].as_object().cloned().unwrap_or_default(),
                            ),
                        };
                        json!(self.substitute(text, &vars, d))
                    }
                    "Fn::Join" => {
                        let parts: Vec<String> = arg[1]
                            .as_array()
                            .expect("Join's list")
                            .iter()
                            .map(|p| as_str(&self.resolve(p, d), "Join").to_owned())
                            .collect();
                        json!(parts.join(as_str(&arg[0], "Join")))
                    }
                    k if k.starts_with("Fn::") || k == "Condition" => {
                        panic!("the IAM tests cannot resolve {k} ({arg}): extend Template::resolve")
                    }
                    _ => json!({ key.clone(): self.resolve(arg, d) }),
                }
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.resolve(v, d)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn substitute(&self, text: &str, vars: &Map<String, Value>, d: &Deployment) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(at) = rest.find("${") {
            out.push_str(&rest[..at]);
            let end = at + rest[at..].find('}').expect("a closing brace in Sub");
            let name = &rest[at + 2..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str(&format!("${{{literal}}}"));
            } else if let Some(v) = vars.get(name) {
                out.push_str(as_str(&self.resolve(v, d), name));
            } else if let Some((res, attr)) = name.split_once('.') {
                out.push_str(&self.attribute(res, attr, d));
            } else {
                out.push_str(&self.reference(name, d));
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn reference(&self, name: &str, d: &Deployment) -> String {
        match name {
            "AWS::Region" => return d.region.clone(),
            "AWS::AccountId" => return d.account.clone(),
            "AWS::StackName" => return d.stack_name.clone(),
            "AWS::Partition" => return "aws".into(),
            "AWS::URLSuffix" => return "amazonaws.com".into(),
            _ => {}
        }
        if let Some(v) = d.refs.get(name) {
            return v.clone();
        }
        if let Some(p) = self.0["Parameters"].get(name) {
            return match &p["Default"] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => panic!("parameter {name} has no usable default: {other}"),
            };
        }
        let r = self.resource(name);
        match as_str(&r["Type"], name) {
            "AWS::Logs::LogGroup" => {
                as_str(&self.resolve(&r["Properties"]["LogGroupName"], d), name).to_owned()
            }
            "AWS::IAM::Role" => d.role_name(name),
            // Not created by the test unless it says so in `d.refs`: the name CloudFormation
            // would be given for it (`DocumentsBucket` is `<stack>-documents`).
            "AWS::S3::Bucket" => format!(
                "{}-{}",
                d.stack_name,
                name.trim_end_matches("Bucket").to_ascii_lowercase()
            ),
            // A key the test did not create (DataKey and MacKey are in `d.refs`): a
            // stand-in key id.
            "AWS::KMS::Key" => format!("{}-{}", d.stack_name, name.to_ascii_lowercase()),
            other => panic!("no value for !Ref {name} ({other}) in the IAM tests' stack"),
        }
    }

    fn attribute(&self, resource: &str, attr: &str, d: &Deployment) -> String {
        if let Some(v) = d.attributes.get(&format!("{resource}.{attr}")) {
            return v.clone();
        }
        let r = self.resource(resource);
        let (region, account) = (&d.region, &d.account);
        match (as_str(&r["Type"], resource), attr) {
            ("AWS::Logs::LogGroup", "Arn") => format!(
                "arn:aws:logs:{region}:{account}:log-group:{}:*",
                self.reference(resource, d)
            ),
            ("AWS::SQS::Queue", "Arn") => format!(
                "arn:aws:sqs:{region}:{account}:{}",
                as_str(&self.resolve(&r["Properties"]["QueueName"], d), resource)
            ),
            ("AWS::IAM::Role", "Arn") => {
                format!("arn:aws:iam::{account}:role/{}", d.role_name(resource))
            }
            ("AWS::S3::Bucket", "Arn") => {
                format!("arn:aws:s3:::{}", self.reference(resource, d))
            }
            ("AWS::KMS::Key", "Arn") => format!(
                "arn:aws:kms:{region}:{account}:key/{}",
                self.reference(resource, d)
            ),
            (ty, _) => {
                panic!("no value for !GetAtt {resource}.{attr} ({ty}) in the IAM tests' stack")
            }
        }
    }
}

// ------------------------------------------------------------------ policies as moto gets them

/// Per-item write actions: what AWS authorises each item of a TransactWriteItems by.
pub(crate) const PER_ITEM_WRITES: [&str; 4] = [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
];

/// How a role's policies are given to moto.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policies {
    /// Exactly as the template writes them, resolved with this stack's ARNs.
    AsWritten,
    /// Every statement's `Resource` widened to `"*"`: moto authorises DynamoDB and KMS
    /// requests against the resource `"*"`, so a statement naming an ARN never applies.
    AnyResource,
    /// `AnyResource`, and `dynamodb:TransactWriteItems` added to every statement that
    /// allows a per-item write: moto authorises a transaction as that one action, while
    /// AWS has no such IAM action and authorises each item by its own (PutItem, …).
    ForMoto,
}

/// `doc` adapted for moto as `how` says. Actions and conditions are never touched.
pub fn adapt(mut doc: Value, how: Policies) -> Value {
    if how == Policies::AsWritten {
        return doc;
    }
    let statements = match doc["Statement"].as_array_mut() {
        Some(list) => list,
        None => panic!("a policy whose Statement is not a list: {doc}"),
    };
    for s in statements {
        s["Resource"] = json!("*");
        if how == Policies::ForMoto && s["Effect"] == "Allow" {
            let mut actions: Vec<Value> = match &s["Action"] {
                Value::Array(a) => a.clone(),
                one => vec![one.clone()],
            };
            if actions
                .iter()
                .any(|a| PER_ITEM_WRITES.contains(&a.as_str().unwrap_or_default()))
            {
                actions.push(json!("dynamodb:TransactWriteItems"));
                s["Action"] = Value::Array(actions);
            }
        }
    }
    doc
}
