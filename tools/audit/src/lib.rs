//! `mynumber-audit`: answers, from CloudWatch Logs, "who saw which number, when, why, and
//! was anything refused or overdue?" The review itself (`report`) is pure; `source` reads
//! CloudWatch Logs or JSON lines; `render` prints a table, JSON or CSV; `queries` holds the
//! saved Logs Insights queries the template installs; `certificate` checks a deletion
//! certificate's signature offline.

pub mod certificate;
pub mod queries;
pub mod render;
pub mod report;
pub mod source;
