//! `mynumber`, the integrator's command (the auditor's is `mynumber-audit`): today
//! `mynumber import`, a CSV of any size into the vault (SPEC §4b) in resumable requests.

pub mod api;
pub mod file;
pub mod import;
