//! The use cases of the server, one typed command or query each, grouped by aggregate. The
//! JSON API and the console both call these and only render what they return: a service
//! takes the caller (`Principal`) and typed input, asks the authorisation table
//! (`Principal::may`), applies the domain's rules, and writes through the store — which
//! appends the audit entries in the same transaction as the change.

pub mod assessments;
pub mod documents;
pub mod engagements;
pub mod evidence;
pub mod findings;
pub mod frameworks;
pub mod lifecycle;
pub mod notices;
pub mod notifications;
pub mod offerings;
pub mod organisations;
pub mod oscal;
pub mod posture;
pub mod records;
pub mod requests;
pub mod scans;
pub mod support;
pub mod tasks;
