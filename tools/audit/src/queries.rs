//! The saved CloudWatch Logs Insights queries. Their texts live once, in `infra/queries/`:
//! this tool compiles them in, and `infra/template.yaml` installs the same texts as
//! `AWS::Logs::QueryDefinition`s (a test holds the two to each other).

pub struct Query {
    pub name: &'static str,
    pub title: &'static str,
    pub text: &'static str,
}

pub const ALL: &[Query] = &[
    Query {
        name: "reveals",
        title: "who revealed which number, when and why",
        text: include_str!("../../../infra/queries/reveals.logsinsights"),
    },
    Query {
        name: "denials",
        title: "refused actions with reasons",
        text: include_str!("../../../infra/queries/denials.logsinsights"),
    },
    Query {
        name: "disposals",
        title: "disposals made",
        text: include_str!("../../../infra/queries/disposals.logsinsights"),
    },
    Query {
        name: "overdue",
        title: "records past due not yet disposed of (purge runs with records left, failed disposals)",
        text: include_str!("../../../infra/queries/overdue.logsinsights"),
    },
];
