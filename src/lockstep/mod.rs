//! The differential runner: one [`Program`] on two [`Backend`]s, step by
//! step, comparing everything observable after every call.
//!
//! For each op the harness's [`SlotTable`] decides legality; an illegal op
//! is skipped on both sides. A legal op goes to both backends and their
//! [`Outcome`]s — result, queued error reason, deaths and remove callbacks
//! in order, and a snapshot of every reachable session, `SSL` and the cache
//! — must be equal. Then the *drain* releases every remaining reference one
//! at a time (`s0`…`s7`, then each `SSL`, then the ctx), comparing after
//! each, and finally both sides must report no live session. Reference
//! counts are opaque in libssl; the drain is how each count is compared.
//!
//! At the first difference both worlds are abandoned — the libssl one is
//! leaked, never freed — and a [`Divergence`] is returned. Its differences
//! are typed ([`compare`]); its [signature](Divergence::signature) is
//! `divergence:<phase><op>:<field key>`, e.g.
//! `divergence:set_hostname:session.encoding.hostname` or
//! `divergence:drain_ctx_free:events`, where the phase is empty for a
//! program op, `drain_` for a release of the drain and `end_` for the
//! final check.

use std::fmt::{self, Write as _};

pub mod compare;

pub use compare::{Difference, Field};

use crate::backend::{Backend, CacheSnapshot, Event, NativeBackend, OsslBackend, Ret, State};
use crate::errcode;
use crate::ossl;
use crate::program::{C, Op, Program, S, SESSION_SLOTS, SSL_SLOTS, SlotTable, Tag};

/// Everything one backend showed for one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The normalised return value.
    pub ret: Ret,
    /// The libssl error the call queued (packed as [`crate::errcode`]
    /// says), 0 for none.
    pub error: u32,
    /// Deaths and remove callbacks during the call, in order.
    pub events: Vec<Event>,
    /// The world afterwards.
    pub state: State,
}

/// How much of the world is compared after each step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snapshots {
    /// Everything, after every step (the default; what reports show).
    EveryStep,
    /// Results, events, live counts and cache counters after every step;
    /// the full snapshot only after the last program op and after the
    /// drain. Several times faster; a divergence it finds is re-run with
    /// [`Snapshots::EveryStep`] to locate it exactly (runs are
    /// deterministic). A wrong field that a later step puts right again
    /// escapes it.
    Checkpoints,
}

/// Applies `op` and records what `b` shows into `out`, reusing its buffers.
/// Records in the slot table what the cache holds after a step (nothing
/// without a ctx). Most steps leave the members as they were, and then
/// the set is not rebuilt.
fn note_members(table: &mut SlotTable, cache: Option<&CacheSnapshot>) {
    let members = cache.map_or(&[][..], |c| &c.members[..]);
    if !table.cached.iter().eq(members) {
        table.cached = members.iter().copied().collect();
    }
}

fn observe(b: &mut dyn Backend, step: Tag, op: &Op, full: bool, out: &mut Outcome) {
    (out.ret, out.error) = b.apply(step, op);
    out.events = b.take_events_and_fill(&mut out.state, full);
}

/// Which part of a run a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// An op of the program.
    Program,
    /// A release made by the drain.
    Drain,
    /// The final check that nothing is left alive.
    End,
}

/// One step of a run that agreed on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The op.
    pub op: Op,
    /// Program or drain.
    pub phase: Phase,
    /// `None` if the op was illegal and skipped, or refused.
    pub ret: Option<Ret>,
    /// The library bug that made the harness refuse the op (see
    /// [`Backend::hazard`]).
    pub refused: Option<&'static str>,
    /// The error both sides queued (see [`crate::errcode`]).
    pub error: u32,
    /// The events both sides showed.
    pub events: Vec<Event>,
}

/// The agreed record of a run without divergence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// Every step, program then drain.
    pub steps: Vec<Step>,
}

impl Trace {
    /// Program ops that ran (were legal).
    pub fn executed(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.phase == Phase::Program && s.ret.is_some())
            .count()
    }

    /// Program ops skipped as illegal.
    pub fn skipped(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| s.ret.is_none() && s.refused.is_none())
            .count()
    }

    /// Program ops refused because the library has a bug they would hit.
    pub fn refused(&self) -> usize {
        self.steps.iter().filter(|s| s.refused.is_some()).count()
    }
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.steps.iter().enumerate() {
            let phase = if s.phase == Phase::Drain {
                " (drain)"
            } else {
                ""
            };
            match (&s.ret, s.refused) {
                (None, Some(bug)) => writeln!(f, "{i:4}  {}{phase}  refused ({bug})", s.op)?,
                (None, None) => writeln!(f, "{i:4}  {}{phase}  skipped", s.op)?,
                (Some(r), _) => {
                    let ev: Vec<String> = s.events.iter().map(Event::to_string).collect();
                    let err = if s.error == 0 {
                        String::new()
                    } else {
                        format!(" err {}", errcode::text(s.error))
                    };
                    writeln!(f, "{i:4}  {}{phase}  = {r}{err}  {}", s.op, ev.join(" "))?
                }
            }
        }
        Ok(())
    }
}

/// The first point where two backends disagreed.
#[derive(Debug, Clone)]
pub struct Divergence {
    /// The step's index (program ops first, then drain steps).
    pub step: usize,
    /// The op at that step.
    pub op: Op,
    /// Program, drain or the final check.
    pub phase: Phase,
    /// Names of the two backends.
    pub names: (&'static str, &'static str),
    /// Their outcomes.
    pub outcomes: Box<(Outcome, Outcome)>,
    /// What differed.
    pub differences: Vec<Difference>,
    /// The libssl version the run used.
    pub libssl_version: String,
    /// The agreed steps before this one.
    pub trace: Trace,
}

impl Divergence {
    /// A one-line signature for deduplication:
    /// `divergence:<op kind>:<what differed>`, with object tags removed.
    pub fn signature(&self) -> String {
        let phase = match self.phase {
            Phase::Program => "",
            Phase::Drain => "drain_",
            Phase::End => "end_",
        };
        format!("divergence:{phase}{}:{}", self.op.name(), self.kind())
    }

    /// The stable key of what differed first (`events`, `ret`,
    /// `session.time`, …; see [`compare`]): the part of the signature that
    /// the shrinker preserves, since removing ops may move a divergence to
    /// another op.
    pub fn kind(&self) -> String {
        self.differences
            .first()
            .map_or_else(|| "nothing".into(), |d| d.field.key())
    }
}

impl fmt::Display for Divergence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let phase = match self.phase {
            Phase::Program => "program op",
            Phase::Drain => "drain",
            Phase::End => "after the drain",
        };
        writeln!(f, "DIVERGENCE at step {} ({phase}): {}", self.step, self.op)?;
        writeln!(f, "signature: {}", self.signature())?;
        writeln!(f, "libssl:    {}", self.libssl_version)?;
        let (l, r) = self.names;
        let names: Vec<String> = self
            .differences
            .iter()
            .map(|d| d.field.to_string())
            .collect();
        let w = names.iter().map(String::len).max().unwrap_or(4).max(4);
        let lw = self
            .differences
            .iter()
            .map(|d| d.left.len())
            .max()
            .unwrap_or(0)
            .clamp(l.len(), 60);
        writeln!(f)?;
        writeln!(f, "  {:w$}  {:lw$}  {}", "", l, r)?;
        for (name, d) in names.iter().zip(&self.differences) {
            writeln!(f, "  {name:w$}  {:lw$}  {}", d.left, d.right)?;
        }
        let (a, b) = &*self.outcomes;
        writeln!(f)?;
        writeln!(f, "  both outcomes in full:")?;
        let mut side = String::new();
        for (name, o) in [(l, a), (r, b)] {
            let _ = writeln!(
                side,
                "  [{name}] ret {}  error {}  events {}",
                o.ret,
                errcode::text(o.error),
                compare::events(&o.events)
            );
        }
        f.write_str(&side)
    }
}

/// Runs `program` on `left` and `right` in lockstep, then drains both,
/// comparing everything after every step.
pub fn run(
    program: &Program,
    left: &mut dyn Backend,
    right: &mut dyn Backend,
) -> Result<Trace, Box<Divergence>> {
    run_with(program, left, right, Snapshots::EveryStep)
}

/// [`run`] with a choice of how much is compared after each step.
pub fn run_with(
    program: &Program,
    left: &mut dyn Backend,
    right: &mut dyn Backend,
    snapshots: Snapshots,
) -> Result<Trace, Box<Divergence>> {
    run_observed(program, left, right, snapshots, &mut |_, _| {})
}

/// [`run_with`], calling `on_step` with the phase and op of every legal
/// step just before both backends apply it (so that a process that dies
/// inside a library can say where).
pub fn run_observed(
    program: &Program,
    left: &mut dyn Backend,
    right: &mut dyn Backend,
    snapshots: Snapshots,
    on_step: &mut dyn FnMut(Phase, &Op),
) -> Result<Trace, Box<Divergence>> {
    let last_op = program.ops.len().saturating_sub(1);
    let mut table = SlotTable::default();
    // Room for the program and the longest drain (every slot, then the
    // ctx): the trace never grows, which copied every step so far.
    let mut trace = Trace {
        steps: Vec::with_capacity(program.ops.len() + SESSION_SLOTS + SSL_SLOTS + 1),
    };
    // What either side's library cannot read is compared on neither.
    let unobserved = match (left.unobserved(), right.unobserved()) {
        ([], r) => r,
        (l, []) => l,
        (l, r) => {
            assert_eq!(l, r, "two libraries with different capabilities");
            l
        }
    };
    let blank = || Outcome {
        ret: Ret::Void,
        error: 0,
        events: vec![],
        state: State {
            unobserved,
            ..State::default()
        },
    };
    let (mut a, mut b) = (blank(), blank());
    let mut step = |op: &Op,
                    phase: Phase,
                    table: &mut SlotTable,
                    trace: &mut Trace|
     -> Result<(), Box<Divergence>> {
        let index = trace.steps.len();
        let effects = op.effects();
        let legal = table.allows(&effects);
        let refused = if legal {
            left.hazard(op).or_else(|| right.hazard(op))
        } else {
            None
        };
        if !legal || refused.is_some() {
            trace.steps.push(Step {
                op: op.clone(),
                phase,
                ret: None,
                refused,
                error: 0,
                events: vec![],
            });
            return Ok(());
        }
        let full = snapshots == Snapshots::EveryStep || index >= last_op;
        on_step(phase, op);
        observe(left, index as Tag, op, full, &mut a);
        observe(right, index as Tag, op, full, &mut b);
        if a != b {
            left.abandon();
            right.abandon();
            return Err(Box::new(Divergence {
                step: index,
                op: op.clone(),
                phase,
                names: (left.name(), right.name()),
                differences: compare::diff(&a, &b),
                outcomes: Box::new((a.clone(), b.clone())),
                libssl_version: ossl::version(),
                trace: std::mem::take(trace),
            }));
        }
        let made = match &a.ret {
            Ret::Obj(t) | Ret::Decoded(t, _) => *t,
            _ => None,
        };
        table.apply(&effects, made);
        note_members(table, a.state.cache.as_ref());
        trace.steps.push(Step {
            op: op.clone(),
            phase,
            ret: Some(a.ret.clone()),
            refused: None,
            error: a.error,
            events: std::mem::take(&mut a.events),
        });
        Ok(())
    };
    for op in &program.ops {
        step(op, Phase::Program, &mut table, &mut trace)?;
    }
    let mut drain: Vec<Op> = S::all()
        .filter(|s| table.object(*s).is_some())
        .map(Op::Free)
        .collect();
    drain.extend(C::all().filter(|c| table.ssls[c.index()]).map(Op::SslFree));
    for op in drain {
        step(&op, Phase::Drain, &mut table, &mut trace)?;
    }
    if table.ctx {
        step(&Op::CtxFree, Phase::Drain, &mut table, &mut trace)?;
    }
    let (live_l, live_r) = (left.state().live, right.state().live);
    if live_l != 0 || live_r != 0 {
        let outcome = |b: &dyn Backend| Outcome {
            ret: Ret::Void,
            error: 0,
            events: vec![],
            state: b.state(),
        };
        let outcomes = Box::new((outcome(left), outcome(right)));
        left.abandon();
        right.abandon();
        return Err(Box::new(Divergence {
            step: trace.steps.len(),
            op: Op::CtxFree,
            phase: Phase::End,
            names: (left.name(), right.name()),
            differences: vec![Difference {
                field: Field::LiveAfterDrain,
                left: live_l.to_string(),
                right: live_r.to_string(),
            }],
            outcomes,
            libssl_version: ossl::version(),
            trace,
        }));
    }
    Ok(trace)
}

/// Runs the legal ops of `program` on one backend alone, with no
/// comparison, calling `each` after every op; stops at the first error
/// `each` returns. For tools that need one side only (collecting the
/// sessions a corpus builds, properties of the native side).
pub fn run_alone<B: Backend, E>(
    program: &Program,
    backend: &mut B,
    mut each: impl FnMut(&B) -> Result<(), E>,
) -> Result<(), E> {
    let mut table = SlotTable::default();
    for (i, op) in program.ops.iter().enumerate() {
        if !table.is_legal(op) {
            continue;
        }
        let (ret, _) = backend.apply(i as Tag, op);
        let made = match ret {
            Ret::Obj(t) | Ret::Decoded(t, _) => t,
            _ => None,
        };
        table.after(op, made);
        let mut summary = State::default();
        backend.fill(&mut summary, false);
        note_members(&mut table, summary.cache.as_ref());
        each(backend)?;
    }
    Ok(())
}

/// A fresh pair of worlds: the native model (following the process's
/// model) and the linked libssl.
pub fn against_libssl() -> (NativeBackend, OsslBackend) {
    (
        NativeBackend::new(),
        OsslBackend::new().expect("SSL_CTX_new failed"),
    )
}

/// Runs `program` on the native implementation and the linked libssl.
pub fn run_against_libssl(program: &Program) -> Result<Trace, Box<Divergence>> {
    let (mut native, mut libssl) = against_libssl();
    run(program, &mut native, &mut libssl)
}

/// Runs `program` against the system libssl with [`Snapshots::Checkpoints`]
/// and, if it diverges, again with [`Snapshots::EveryStep`], so the
/// divergence returned is located exactly. For fuzzing loops.
pub fn check_against_libssl(program: &Program) -> Result<Trace, Box<Divergence>> {
    check_with(program, against_libssl)
}

/// [`check_against_libssl`] on fresh backend pairs from `make`.
pub fn check_with<L: Backend, R: Backend>(
    program: &Program,
    mut make: impl FnMut() -> (L, R),
) -> Result<Trace, Box<Divergence>> {
    let (mut l, mut r) = make();
    match run_with(program, &mut l, &mut r, Snapshots::Checkpoints) {
        Ok(trace) => Ok(trace),
        Err(fast) => {
            let (mut l, mut r) = make();
            Err(run(program, &mut l, &mut r).err().unwrap_or(fast))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::program::OpKind;

    /// The native backend, but `kind`'s result is replaced by 99.
    struct Twisted(NativeBackend, OpKind);

    impl Backend for Twisted {
        fn name(&self) -> &'static str {
            "twisted"
        }
        fn apply(&mut self, step: Tag, op: &Op) -> (Ret, u32) {
            let r = self.0.apply(step, op);
            if op.kind() == self.1 {
                (Ret::Int(99), r.1)
            } else {
                r
            }
        }
        fn take_events(&mut self) -> Vec<Event> {
            self.0.take_events()
        }
        fn fill(&self, out: &mut State, full: bool) {
            self.0.fill(out, full)
        }
        fn abandon(&mut self) {
            self.0.abandon()
        }
    }

    fn program(text: &str) -> Program {
        Program::parse(text).unwrap()
    }

    #[test]
    fn equal_backends_agree_and_drain() {
        let p = program("new s0\nup_ref s0 -> s1\ncache_add s1\nfree s5\n");
        let t = run(&p, &mut NativeBackend::new(), &mut NativeBackend::new()).unwrap();
        assert_eq!((t.executed(), t.skipped()), (3, 1));
        let drain: Vec<_> = t
            .steps
            .iter()
            .filter(|s| s.phase == Phase::Drain)
            .map(|s| s.op.to_string())
            .collect();
        assert_eq!(drain, ["free s0", "free s1", "ctx_free"]);
        let last = t.steps.last().unwrap();
        assert_eq!(last.events, [Event::Removed(0), Event::Died(0)]);
    }

    #[test]
    fn the_first_difference_is_reported_with_the_trace_before_it() {
        let p = program("new s0\ncache_size 3\nnew s1\n");
        let d = run(
            &p,
            &mut NativeBackend::new(),
            &mut Twisted(NativeBackend::new(), OpKind::CacheSize),
        )
        .unwrap_err();
        assert_eq!((d.step, d.phase), (1, Phase::Program));
        assert_eq!(d.signature(), "divergence:cache_size:ret");
        assert_eq!(d.names, ("native", "twisted"));
        assert_eq!(d.differences.len(), 1);
        assert_eq!(
            (
                d.differences[0].left.as_str(),
                d.differences[0].right.as_str()
            ),
            ("20480", "99")
        );
        assert_eq!(d.trace.steps.len(), 1);
    }

    #[test]
    fn drain_divergences_carry_their_phase() {
        let p = program("new s0\n");
        let d = run(
            &p,
            &mut NativeBackend::new(),
            &mut Twisted(NativeBackend::new(), OpKind::Free),
        )
        .unwrap_err();
        assert_eq!(d.signature(), "divergence:drain_free:ret");
    }

    #[test]
    fn checkpoints_see_a_snapshot_difference_late_and_the_rerun_locates_it() {
        use crate::faults::{Fault, FaultyBackend};
        // The fault shows only in the snapshot's encoding, from step 2 on.
        let p = program("new s0\nset_cipher s0 0x1301\nset_hostname s0 \"ab\"\nnew s1\nnew s2\n");
        let faulty = || FaultyBackend::new(Fault::EncodeFlipsHostnameByte);
        let late = run_with(
            &p,
            &mut NativeBackend::new(),
            &mut faulty(),
            Snapshots::Checkpoints,
        )
        .unwrap_err();
        assert_eq!(
            late.step, 4,
            "checkpoints compare sessions only at the last op"
        );
        let exact = check_with(&p, || (NativeBackend::new(), faulty())).unwrap_err();
        assert_eq!(exact.step, 2);
        assert_eq!(
            exact.signature(),
            "divergence:set_hostname:session.encoding.hostname"
        );
    }

    /// The native backend that refuses `set_time`, as a profile with a
    /// documented library bug does, and may claim a session lingers after
    /// the drain.
    struct Refusing(NativeBackend, bool);

    impl Backend for Refusing {
        fn name(&self) -> &'static str {
            "refusing"
        }
        fn apply(&mut self, step: Tag, op: &Op) -> (Ret, u32) {
            self.0.apply(step, op)
        }
        fn take_events(&mut self) -> Vec<Event> {
            self.0.take_events()
        }
        fn hazard(&self, op: &Op) -> Option<&'static str> {
            (op.kind() == OpKind::SetTime).then_some("a planted bug")
        }
        fn fill(&self, out: &mut State, full: bool) {
            self.0.fill(out, full)
        }
        fn state(&self) -> State {
            let mut s = self.0.state();
            s.live += i64::from(self.1);
            s
        }
        fn abandon(&mut self) {
            self.0.abandon()
        }
    }

    #[test]
    fn the_trace_counts_and_shows_every_step() {
        let p = program(
            "new s0\nfree s5\nset_time s0 5\nup_ref s0 -> s1\ncache_add s1\nfree s6\nset_time s1 9\nfree s1\n",
        );
        let t = run(
            &p,
            &mut NativeBackend::new(),
            &mut Refusing(NativeBackend::new(), false),
        )
        .unwrap();
        assert_eq!((t.executed(), t.skipped(), t.refused()), (4, 2, 2));
        let lines: Vec<String> = t
            .to_string()
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect();
        assert_eq!(
            lines,
            [
                "   0  new s0  = #0",
                "   1  free s5  skipped",
                "   2  set_time s0 5  refused (a planted bug)",
                "   3  up_ref s0 -> s1  = 1",
                "   4  cache_add s1  = 1",
                "   5  free s6  skipped",
                "   6  set_time s1 9  refused (a planted bug)",
                "   7  free s1  = void",
                "   8  free s0 (drain)  = void",
                "   9  ctx_free (drain)  = void  rm(#0) free(#0)",
            ]
        );
    }

    #[test]
    fn a_session_left_alive_after_the_drain_is_its_own_field() {
        let p = program("new s0\n");
        let d = run(
            &p,
            &mut NativeBackend::new(),
            &mut Refusing(NativeBackend::new(), true),
        )
        .unwrap_err();
        assert_eq!(d.signature(), "divergence:end_ctx_free:live_after_drain");
        assert_eq!(
            (
                d.differences[0].left.as_str(),
                d.differences[0].right.as_str()
            ),
            ("0", "1")
        );
        assert_eq!(d.phase, Phase::End);
        assert!(
            d.to_string()
                .contains("DIVERGENCE at step 3 (after the drain)"),
            "{d}"
        );
    }

    #[test]
    fn run_alone_sees_every_legal_op() {
        let p = program("new s0\nfree s3\nnew s1\n");
        let mut seen = 0;
        run_alone(&p, &mut NativeBackend::new(), |_| {
            seen += 1;
            Ok::<(), ()>(())
        })
        .unwrap();
        assert_eq!(seen, 2);
    }
}
