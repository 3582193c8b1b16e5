//! [`Summary`]: what a survey keeps of a divergence, as the worker sends
//! it to the parent (JSON on one line).

use serde_json::{Value, json};

use crate::lockstep::Divergence;

/// A divergence as the worker reports it: what a survey keeps of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// `divergence:<phase><op>:<field>`.
    pub signature: String,
    /// The step where it showed (for a program op, its index).
    pub step: usize,
    /// The op where it showed, in text form.
    pub op: String,
    /// Program, drain or the final check.
    pub phase: String,
    /// Each difference: (where, stable key, left value, right value).
    pub differences: Vec<(String, String, String, String)>,
    /// The full report.
    pub report: String,
}

impl Summary {
    /// The summary of `d`.
    pub fn of(d: &Divergence) -> Summary {
        Summary {
            signature: d.signature(),
            step: d.step,
            op: d.op.to_string(),
            phase: format!("{:?}", d.phase).to_lowercase(),
            differences: d
                .differences
                .iter()
                .map(|x| {
                    (
                        x.field.to_string(),
                        x.field.key(),
                        x.left.clone(),
                        x.right.clone(),
                    )
                })
                .collect(),
            report: d.to_string(),
        }
    }

    /// The summary as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "signature": self.signature,
            "step": self.step,
            "op": self.op,
            "phase": self.phase,
            "differences": self.differences.iter().map(|(f, k, l, r)| json!({
                "field": f, "key": k, "left": l, "right": r,
            })).collect::<Vec<_>>(),
            "report": self.report,
        })
    }

    /// Reads [`Summary::to_json`]'s output.
    pub fn from_json(v: &Value) -> Option<Summary> {
        let s = |v: &Value, k: &str| v.get(k)?.as_str().map(str::to_string);
        Some(Summary {
            signature: s(v, "signature")?,
            step: usize::try_from(v.get("step")?.as_u64()?).ok()?,
            op: s(v, "op")?,
            phase: s(v, "phase")?,
            differences: v
                .get("differences")?
                .as_array()?
                .iter()
                .map(|d| Some((s(d, "field")?, s(d, "key")?, s(d, "left")?, s(d, "right")?)))
                .collect::<Option<_>>()?,
            report: s(v, "report")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_survive_json() {
        let s = Summary {
            signature: "divergence:dup:ret".into(),
            step: 1,
            op: "dup s0 -> s1".into(),
            phase: "program".into(),
            differences: vec![("ret".into(), "ret".into(), "#1".into(), "#0".into())],
            report: "DIVERGENCE…".into(),
        };
        assert_eq!(Summary::from_json(&s.to_json()), Some(s));
    }
}
