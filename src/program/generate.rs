//! Random programs: [`Program::generate`] decodes a program from bytes (a
//! fuzzer's input or a seeded stream), choosing ops by the weights of the
//! op table and values that reach libssl's interesting cases.

use arbitrary::Unstructured;

use super::ex::{EX_INDEXES, ExDup, ExNew, ExSpec};
use super::op::{Op, OpKind};
use super::{BIRTH_TIME, C, Program, S, SESSION_SLOTS, SSL_SLOTS, SlotTable, Tag};

/// Chooses values that reach libssl's interesting cases: colliding ids,
/// boundary lengths, overflowing and negative times, tiny cache sizes.
pub(super) struct Gen<'a, 'b> {
    pub(super) u: &'a mut Unstructured<'b>,
    /// Op kinds never drawn (those the linked library lacks).
    pub(super) skip: &'a [OpKind],
}

pub(super) type R<T> = arbitrary::Result<T>;

/// The op kinds the linked library lacks (read once from [`crate::caps`]).
pub fn lacking_kinds() -> &'static [OpKind] {
    static KINDS: std::sync::OnceLock<Vec<OpKind>> = std::sync::OnceLock::new();
    KINDS.get_or_init(|| {
        OpKind::ALL
            .iter()
            .copied()
            .filter(|k| crate::caps::lacking_op(k.name()).is_some())
            .collect()
    })
}

/// The sum of the op table's weights.
fn total_weight() -> u32 {
    OpKind::ALL.iter().map(|k| k.weight()).sum()
}

impl Gen<'_, '_> {
    pub(super) fn pick<T: Copy>(&mut self, xs: &[T]) -> R<T> {
        self.u.choose(xs).copied()
    }

    pub(super) fn one_in(&mut self, n: u8) -> R<bool> {
        self.u.ratio(1, n)
    }

    pub(super) fn id(&mut self) -> R<Vec<u8>> {
        let k = self.pick(&[1u8, 2, 3, 0xff])?;
        Ok(match self.u.int_in_range(0..=9u8)? {
            0 => vec![],
            1 | 2 => vec![k],
            3..=5 => vec![k; 4],
            6 => vec![k; 32],
            7 => vec![k; 33],
            8 => {
                let mut v = vec![k; 4];
                v.push(self.u.arbitrary()?);
                v
            }
            _ => {
                let n = self.u.int_in_range(0..=34usize)?.min(self.u.len());
                self.u.bytes(n)?.to_vec()
            }
        })
    }

    fn bytes_up_to(&mut self, max: usize) -> R<Vec<u8>> {
        let n = self.u.int_in_range(0..=max)?.min(self.u.len());
        Ok(self.u.bytes(n)?.to_vec())
    }

    pub(super) fn time(&mut self) -> R<i64> {
        const B: i64 = BIRTH_TIME;
        Ok(match self.u.int_in_range(0..=5u8)? {
            0 => self.pick(&[
                0,
                1,
                -1,
                -2,
                -5,
                i64::MAX,
                i64::MIN,
                i64::MAX - 1,
                i64::MIN + 1,
            ])?,
            1 | 2 => B + self.u.int_in_range(-4..=4i64)?,
            3 => B + self.pick(&[300, 303, 304, 305, 600, 7200, -304])?,
            4 => self.u.int_in_range(-1000..=1000i64)?,
            _ => self.u.arbitrary()?,
        })
    }

    pub(super) fn timeout(&mut self) -> R<i64> {
        Ok(match self.u.int_in_range(0..=4u8)? {
            0 => self.pick(&[
                0,
                1,
                3,
                300,
                304,
                7200,
                i64::MAX,
                i64::MAX - 1,
                -1,
                i64::MIN,
            ])?,
            1 | 2 => self.u.int_in_range(0..=10i64)?,
            3 => self.u.int_in_range(0..=1000i64)?,
            _ => self.u.arbitrary()?,
        })
    }

    pub(super) fn flush_time(&mut self) -> R<i64> {
        const B: i64 = BIRTH_TIME;
        Ok(match self.u.int_in_range(0..=3u8)? {
            0 => self.pick(&[0, -1, -8, -10, i64::MAX, i64::MIN, 1])?,
            1 | 2 => {
                B + self.pick(&[0, 1, 2, 303, 304, 305, 306, 608, 609])?
                    + self.u.int_in_range(-2..=2i64)?
            }
            _ => self.time()?,
        })
    }

    pub(super) fn cache_size(&mut self) -> R<i64> {
        Ok(match self.u.int_in_range(0..=3u8)? {
            0 => self.pick(&[-1, i64::MIN, 20480, i64::MAX])?,
            _ => self.u.int_in_range(0..=5i64)?,
        })
    }

    pub(super) fn version(&mut self) -> R<i32> {
        Ok(if self.one_in(4)? {
            self.pick(&[0x0303, 0x0304, 0, 0x0200, 0xfefd, -1, 0x0100, 0x10000])?
        } else {
            0x0304
        })
    }

    pub(super) fn hostname(&mut self) -> R<Option<Vec<u8>>> {
        Ok(match self.u.int_in_range(0..=4u8)? {
            0 => None,
            1 => Some(vec![]),
            2 => Some(b"a.example".to_vec()),
            3 => Some(b"b.example".to_vec()),
            _ => {
                let mut v = self.bytes_up_to(12)?;
                v.retain(|&b| b != 0);
                Some(v)
            }
        })
    }

    pub(super) fn opt_bytes(&mut self, known: &[&[u8]]) -> R<Option<Vec<u8>>> {
        Ok(match self.u.int_in_range(0..=4u8)? {
            0 => None,
            1 => Some(vec![]),
            2 | 3 => Some(self.pick(known)?.to_vec()),
            _ => Some(self.bytes_up_to(16)?),
        })
    }

    pub(super) fn cipher(&mut self) -> R<Option<u16>> {
        Ok(match self.u.int_in_range(0..=7u8)? {
            0 => None,
            1 => Some(self.u.arbitrary()?),
            _ => Some(self.pick(&[
                0x1301, 0x1302, 0x1303, 0xc02f, 0x009c, 0x00ff, 0x5600, 0x0001, 0x1306, 0x1234,
            ])?),
        })
    }

    pub(super) fn master_key(&mut self) -> R<Vec<u8>> {
        Ok(match self.u.int_in_range(0..=4u8)? {
            0 => vec![],
            1 | 2 => vec![0x4d; 48],
            3 => vec![0x4d; self.pick(&[512usize, 513])?],
            _ => self.bytes_up_to(64)?,
        })
    }

    /// The callbacks of a newly registered ex_data index: mostly ones that
    /// record every call, with values that overwrite and NULLs that still
    /// count as set; a refusing dup now and then.
    pub(super) fn ex_spec(&mut self) -> R<ExSpec> {
        let v = |g: &mut Self| g.pick(&[5u8, 6, 0]);
        let new = match self.u.int_in_range(0..=5u8)? {
            0 => ExNew::None,
            1 | 2 => ExNew::Log,
            _ => ExNew::Set(v(self)?),
        };
        let dup = match self.u.int_in_range(0..=7u8)? {
            0 | 1 => ExDup::None,
            2..=4 => ExDup::Keep,
            5 => ExDup::Fail,
            _ => ExDup::Set(v(self)?),
        };
        let free = !self.one_in(6)?;
        Ok(ExSpec { new, dup, free })
    }

    /// A program ex_data index: mostly a registered one, often the
    /// highest (so lower ones are left unset below it), sometimes 0.
    pub(super) fn ex_index(&mut self, t: &SlotTable) -> R<u8> {
        let n = t.ex_indexes;
        if n == 0 || self.one_in(6)? {
            // Now and then one not registered yet (an illegal op, skipped),
            // within what the text format can name.
            return Ok(if self.one_in(16)? {
                (n + 1).min(EX_INDEXES)
            } else {
                0
            });
        }
        if self.one_in(2)? {
            return Ok(n);
        }
        self.u.int_in_range(1..=n)
    }

    /// A session slot that is full (or, with `full` false, empty) with
    /// high probability: ops on the wrong kind of slot are skipped.
    pub(super) fn s(&mut self, t: &SlotTable, full: bool) -> R<S> {
        let fit: Vec<S> = S::all()
            .filter(|s| t.sessions[s.index()].is_some() == full)
            .collect();
        if fit.is_empty() || self.one_in(32)? {
            return Ok(S(self.u.int_in_range(0..=SESSION_SLOTS as u8 - 1)?));
        }
        self.pick(&fit)
    }

    /// An `SSL` slot that is full (or, with `full` false, empty) with high
    /// probability.
    pub(super) fn c(&mut self, t: &SlotTable, full: bool) -> R<C> {
        let fit: Vec<C> = C::all().filter(|c| t.ssls[c.index()] == full).collect();
        if fit.is_empty() || self.one_in(32)? {
            return Ok(C(self.u.int_in_range(0..=SSL_SLOTS as u8 - 1)?));
        }
        self.pick(&fit)
    }

    /// An op kind drawn by the op table's weights; mostly `new` while no
    /// session exists.
    fn kind(&mut self, t: &SlotTable) -> R<OpKind> {
        let has_sessions = t.sessions.iter().any(Option::is_some);
        if !has_sessions && !self.one_in(8)? {
            return Ok(OpKind::New);
        }
        let weight = |k: OpKind| {
            if self.skip.contains(&k) {
                0
            } else {
                k.weight()
            }
        };
        let total = if self.skip.is_empty() {
            total_weight()
        } else {
            OpKind::ALL.iter().map(|&k| weight(k)).sum()
        };
        let mut x = self.u.int_in_range(0..=total - 1)?;
        for &k in OpKind::ALL {
            if x < weight(k) {
                return Ok(k);
            }
            x -= weight(k);
        }
        unreachable!("x < total_weight()")
    }

    fn op(&mut self, t: &SlotTable) -> R<Op> {
        let kind = self.kind(t)?;
        Op::generate_operands(kind, self, t)
    }
}

impl Program {
    /// Decodes a program of at most `max_ops` calls from fuzzer bytes. The
    /// decoder tracks a guessed [`SlotTable`] and draws up to four candidate
    /// calls until one is legal, so most calls are legal while skips still
    /// occur; values favour SEMANTICS.md §14.5. It stops when the bytes run
    /// out.
    ///
    /// It never draws an op the linked library lacks
    /// ([`crate::caps`]).
    pub fn generate(u: &mut Unstructured<'_>, max_ops: usize) -> arbitrary::Result<Program> {
        Program::generate_without(u, max_ops, lacking_kinds())
    }

    /// [`Program::generate`] with no op of the kinds in `skip`.
    pub fn generate_without(
        u: &mut Unstructured<'_>,
        max_ops: usize,
        skip: &[OpKind],
    ) -> arbitrary::Result<Program> {
        const TRIES: usize = 4;
        let mut table = SlotTable::default();
        let mut ops = Vec::with_capacity(max_ops);
        let mut g = Gen { u, skip };
        // Half the programs start with a tiny cache, so eviction is common.
        if max_ops > 0 && !g.u.is_empty() && g.one_in(2).unwrap_or(false) {
            let size = g.u.int_in_range(1..=4i64).unwrap_or(2);
            ops.push(Op::CacheSize(size));
        }
        'ops: while ops.len() < max_ops && !g.u.is_empty() {
            let mut op = None;
            for _ in 0..TRIES {
                let Ok(candidate) = g.op(&table) else {
                    break 'ops;
                };
                let legal = table.is_legal(&candidate);
                op = Some(candidate);
                if legal {
                    break;
                }
            }
            let Some(op) = op else { break };
            if table.is_legal(&op) {
                let made = op.destination().map(|_| ops.len() as Tag);
                table.after(&op, made);
                // A guess at the cache's members: eviction and expiry are
                // not modelled here.
                match &op {
                    Op::CacheAdd(s) => table.cached.extend(table.object(*s)),
                    Op::CacheRemove(s) => {
                        if let Some(o) = table.object(*s) {
                            table.cached.remove(&o);
                        }
                    }
                    Op::CacheFlush(0) => table.cached.clear(),
                    _ => {}
                }
            }
            ops.push(op);
        }
        Ok(Program { ops })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kind a library lacks is never drawn, and the others still are.
    #[test]
    fn skipped_kinds_are_never_generated() {
        let skip = [OpKind::SetHostname, OpKind::SetCipher, OpKind::Dup];
        let mut kinds = std::collections::BTreeSet::new();
        for i in 0..2000u32 {
            let bytes: Vec<u8> = (0..400u32)
                .map(|j| (i.wrapping_mul(2654435761) ^ j.wrapping_mul(40503)) as u8)
                .collect();
            let p = Program::generate_without(&mut Unstructured::new(&bytes), 32, &skip).unwrap();
            kinds.extend(p.ops.iter().map(Op::kind));
        }
        assert!(skip.iter().all(|k| !kinds.contains(k)), "{kinds:?}");
        assert!(kinds.contains(&OpKind::UpRef) && kinds.contains(&OpKind::CacheAdd));
    }

    /// Every ex_data index drawn for a table with `n` indexes registered.
    fn indexes_drawn(n: u8) -> std::collections::BTreeSet<u8> {
        let t = SlotTable {
            ex_indexes: n,
            ..SlotTable::default()
        };
        let mut seen = std::collections::BTreeSet::new();
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                let bytes = [a, b, a ^ b, b.wrapping_mul(31)];
                let mut g = Gen {
                    u: &mut Unstructured::new(&bytes),
                    skip: &[],
                };
                seen.extend(g.ex_index(&t));
            }
        }
        seen
    }

    #[test]
    fn ex_indexes_drawn_stay_within_what_the_text_names() {
        // With three registered, the fourth (not yet registered: an illegal
        // op, skipped) is drawn too; with all four, nothing past them
        // (print_then_parse_is_identity once found a fifth).
        assert_eq!(indexes_drawn(3), (0..=4).collect());
        assert_eq!(indexes_drawn(EX_INDEXES), (0..=EX_INDEXES).collect());
        assert_eq!(indexes_drawn(0), [0, 1].into_iter().collect());
    }
}
