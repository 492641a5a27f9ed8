//! A budget on what evaluating a Terraform configuration may produce, so that no
//! expression can grow without bound: a chain of `locals` that each double a list, a `for`
//! inside a `for`, nested `dynamic` blocks. Sizes are counted in *units*, roughly bytes:
//! every value node costs [`NODE`], a string its length.
//!
//! Two checks: before an expression is evaluated, an upper bound of its result is worked
//! out from the sizes of what it refers to ([`bound`]); a bound over [`MAX_VALUE_UNITS`]
//! is not evaluated at all. After evaluation, the result's real size is taken from the
//! read's shared [`Budget`], so the whole read stays within its total however many
//! expressions it has. Either refusal becomes an input error naming the file and line.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use hcl::expr::{Expression, ObjectKey, Operation, TemplateExpr, TraversalOperator};
use hcl::template::{Directive, Element, Template};

/// What one value node costs, in units (about what it takes in memory).
pub const NODE: u64 = 64;
/// The largest value one expression may evaluate to (16 MiB of units).
pub const MAX_VALUE_UNITS: u64 = 16 << 20;
/// What a copy of an evaluation context costs beyond its variables (its functions).
pub const CONTEXT_UNITS: u64 = 4096;
/// Units every read may spend whatever its size (256 MiB), plus [`UNITS_PER_BYTE`] for
/// each byte of configuration read.
pub const BASE_UNITS: u64 = 256 << 20;
pub const UNITS_PER_BYTE: u64 = 16;

/// The units one read of a configuration (its root module and every module below it) may
/// still spend. Shared by the threads that read modules in parallel.
#[derive(Debug)]
pub struct Budget {
    remaining: AtomicU64,
    /// Whether running out has been reported: once is enough.
    spent_reported: std::sync::atomic::AtomicBool,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget::new(BASE_UNITS)
    }
}

impl Budget {
    pub fn new(units: u64) -> Budget {
        Budget {
            remaining: AtomicU64::new(units),
            spent_reported: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// `true` the first time it is asked: whether running out is still to be reported.
    pub fn report_spent(&self) -> bool {
        !self.spent_reported.swap(true, Ordering::Relaxed)
    }

    /// More room for a file of `bytes` bytes that was read.
    pub fn grant_for_bytes(&self, bytes: u64) {
        let _ = self
            .remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| {
                Some(r.saturating_add(bytes.saturating_mul(UNITS_PER_BYTE)))
            });
    }

    /// Takes `units`; `false` (and nothing taken) when fewer remain.
    pub fn take(&self, units: u64) -> bool {
        self.remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| {
                r.checked_sub(units)
            })
            .is_ok()
    }

    pub fn remaining(&self) -> u64 {
        self.remaining.load(Ordering::Relaxed)
    }
}

/// The size of an evaluated value, in units.
pub fn size_of(v: &hcl::Value) -> u64 {
    match v {
        hcl::Value::String(s) => NODE + s.len() as u64,
        hcl::Value::Array(a) => a.iter().fold(NODE, |n, v| n.saturating_add(size_of(v))),
        hcl::Value::Object(o) => o.iter().fold(NODE, |n, (k, v)| {
            n.saturating_add(k.len() as u64).saturating_add(size_of(v))
        }),
        _ => NODE,
    }
}

/// How big a name in scope may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// At most this many units.
    Fixed(u64),
    /// The element of the innermost `for` being evaluated: its size is the variable of the
    /// linear bound.
    Elem,
}

/// The sizes of the variables an expression may refer to: `var.NAME`, `local.NAME`,
/// `each`, `count`, a dynamic block's iterator (by root name, or `root.attr` where the
/// attribute's own size is known). `for` expressions add scopes of their own.
#[derive(Debug, Default, Clone)]
pub struct Sizes {
    pub names: HashMap<String, u64>,
}

impl Sizes {
    pub fn set(&mut self, name: impl Into<String>, units: u64) {
        self.names.insert(name.into(), units);
    }

    fn get(&self, root: &str, attr: Option<&str>) -> Option<u64> {
        if let Some(a) = attr
            && let Some(n) = self.names.get(&format!("{root}.{a}"))
        {
            return Some(*n);
        }
        self.names.get(root).copied()
    }
}

/// A bound that is linear in the size `s` of the innermost `for` element: `a + b·s`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Lin {
    a: u64,
    b: u64,
}

impl Lin {
    fn fixed(a: u64) -> Lin {
        Lin { a, b: 0 }
    }
    fn plus(self, o: Lin) -> Lin {
        Lin {
            a: self.a.saturating_add(o.a),
            b: self.b.saturating_add(o.b),
        }
    }
    fn times(self, k: u64) -> Lin {
        Lin {
            a: self.a.saturating_mul(k),
            b: self.b.saturating_mul(k),
        }
    }
    fn at(self, s: u64) -> u64 {
        self.a.saturating_add(self.b.saturating_mul(s))
    }
}

/// The names a `for` binds, and the largest its element may be.
struct Scope<'p> {
    names: Vec<&'p str>,
    max: u64,
    parent: Option<&'p Scope<'p>>,
}

struct Bounder<'s> {
    sizes: &'s Sizes,
}

/// An upper bound, in units, of what `expr` evaluates to with the given sizes in scope.
pub fn bound(expr: &Expression, sizes: &Sizes) -> u64 {
    Bounder { sizes }.expr(expr, None).a
}

impl Bounder<'_> {
    fn lookup(&self, root: &str, attr: Option<&str>, scope: Option<&Scope>) -> Lin {
        let mut innermost = true;
        let mut s = scope;
        while let Some(sc) = s {
            if sc.names.contains(&root) {
                return if innermost {
                    Lin { a: 0, b: 1 }
                } else {
                    Lin::fixed(sc.max)
                };
            }
            innermost = false;
            s = sc.parent;
        }
        // An undeclared name fails evaluation: nothing is produced.
        Lin::fixed(self.sizes.get(root, attr).unwrap_or(NODE))
    }

    fn exprs<'e>(
        &self,
        es: impl IntoIterator<Item = &'e Expression>,
        scope: Option<&Scope>,
    ) -> Lin {
        es.into_iter()
            .fold(Lin::fixed(NODE), |n, e| n.plus(self.expr(e, scope)))
    }

    fn expr(&self, expr: &Expression, scope: Option<&Scope>) -> Lin {
        match expr {
            Expression::String(s) => Lin::fixed(NODE + s.len() as u64),
            Expression::Array(a) => self.exprs(a, scope),
            Expression::Object(o) => o.iter().fold(Lin::fixed(NODE), |n, (k, v)| {
                let k = match k {
                    ObjectKey::Identifier(i) => Lin::fixed(i.as_str().len() as u64),
                    ObjectKey::Expression(e) => self.expr(e, scope),
                    _ => Lin::fixed(NODE),
                };
                n.plus(k).plus(self.expr(v, scope))
            }),
            Expression::TemplateExpr(t) => self.template_expr(t, scope),
            Expression::Variable(v) => self.lookup(v.as_str(), None, scope),
            Expression::Traversal(t) => {
                let base = match (&t.expr, t.operators.first()) {
                    (Expression::Variable(v), Some(TraversalOperator::GetAttr(a))) => {
                        self.lookup(v.as_str(), Some(a.as_str()), scope)
                    }
                    (e, _) => self.expr(e, scope),
                };
                t.operators.iter().fold(base, |n, op| match op {
                    TraversalOperator::Index(e) => n.plus(self.expr(e, scope)),
                    _ => n,
                })
            }
            Expression::FuncCall(f) => {
                let args = self.exprs(&f.args, scope);
                match f.name.name.as_str() {
                    // Separators between every element.
                    "join" => match f.args.first() {
                        Some(sep) => {
                            let sep = self.expr(sep, scope);
                            let max = scope.map_or(0, |s| s.max);
                            args.plus(Lin::fixed(sep.at(max)).times(args.at(max) / NODE + 1))
                        }
                        None => args,
                    },
                    // Case mapping may turn one character into three.
                    "upper" | "lower" | "title" => args.times(3),
                    // Quotes and separators; base64 takes four characters for three.
                    "jsonencode" | "base64encode" => args.times(2),
                    // Every two characters of JSON text may be an element of its own.
                    "jsondecode" => args.times(NODE),
                    _ => args,
                }
            }
            Expression::Parenthesis(e) => self.expr(e, scope),
            Expression::Conditional(c) => {
                self.exprs([&c.cond_expr, &c.true_expr, &c.false_expr], scope)
            }
            Expression::Operation(op) => match op.as_ref() {
                Operation::Unary(u) => self.expr(&u.expr, scope).plus(Lin::fixed(NODE)),
                Operation::Binary(b) => self.exprs([&b.lhs_expr, &b.rhs_expr], scope),
            },
            Expression::ForExpr(f) => {
                let mut names = vec![f.value_var.as_str()];
                if let Some(k) = &f.key_var {
                    names.push(k.as_str());
                }
                let per = |inner: &Scope| {
                    let mut p = self.expr(&f.value_expr, Some(inner));
                    if let Some(k) = &f.key_expr {
                        p = p.plus(self.expr(k, Some(inner)));
                    }
                    if let Some(c) = &f.cond_expr {
                        p = p.plus(self.expr(c, Some(inner)));
                    }
                    p.plus(Lin::fixed(NODE))
                };
                self.for_each(&f.collection_expr, names, per, scope)
            }
            _ => Lin::fixed(NODE),
        }
    }

    /// `for` over a collection of bound `C` (linear in the enclosing element): at most
    /// `C/NODE + 1` items, whose elements add up to at most `C`, each producing `per`.
    fn for_each<'n>(
        &self,
        collection: &Expression,
        names: Vec<&'n str>,
        per: impl Fn(&Scope) -> Lin,
        scope: Option<&'n Scope<'n>>,
    ) -> Lin {
        let coll = self.expr(collection, scope);
        let outer_max = scope.map_or(0, |s| s.max);
        let inner = Scope {
            names,
            max: coll.at(outer_max),
            parent: scope,
        };
        let p = per(&inner);
        // n·p.a + p.b·C, with n ≤ C/NODE + 1 and C linear in the enclosing element.
        let items = Lin {
            a: (coll.a / NODE + 1).saturating_mul(p.a),
            b: coll.b.saturating_mul(p.a).div_ceil(NODE),
        };
        items
            .plus(coll.times(p.b))
            .plus(Lin::fixed(NODE))
            .plus(coll)
    }

    fn template_expr(&self, t: &TemplateExpr, scope: Option<&Scope>) -> Lin {
        match Template::from_expr(t) {
            Ok(tpl) => self.template(&tpl, scope),
            Err(_) => Lin::fixed(
                NODE + match t {
                    TemplateExpr::QuotedString(s) => s.len() as u64,
                    TemplateExpr::Heredoc(h) => h.template.len() as u64,
                },
            ),
        }
    }

    fn template(&self, t: &Template, scope: Option<&Scope>) -> Lin {
        t.elements().iter().fold(Lin::fixed(NODE), |n, e| {
            n.plus(match e {
                Element::Literal(s) => Lin::fixed(s.len() as u64),
                Element::Interpolation(i) => self.expr(&i.expr, scope),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(i) => {
                        let f = i
                            .false_template
                            .as_ref()
                            .map_or(Lin::default(), |f| self.template(f, scope));
                        self.expr(&i.cond_expr, scope)
                            .plus(self.template(&i.true_template, scope))
                            .plus(f)
                    }
                    Directive::For(f) => {
                        let mut names = vec![f.value_var.as_str()];
                        if let Some(k) = &f.key_var {
                            names.push(k.as_str());
                        }
                        self.for_each(
                            &f.collection_expr,
                            names,
                            |inner| self.template(&f.template, Some(inner)),
                            scope,
                        )
                    }
                },
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Expression {
        let body: hcl::Body = hcl::parse(&format!("x = {src}\n")).unwrap();
        body.attributes().next().unwrap().expr.clone()
    }

    #[test]
    fn references_cost_what_they_refer_to() {
        let mut sizes = Sizes::default();
        sizes.set("local.big", 1_000_000);
        sizes.set("local.small", 100);
        assert!(bound(&parse("local.small"), &sizes) < 1_000);
        let doubled = bound(&parse("concat(local.big, local.big)"), &sizes);
        assert!(doubled >= 2_000_000, "{doubled}");
        let nested = bound(&parse("[for x in local.big : local.big]"), &sizes);
        assert!(nested > 1_000_000 * (1_000_000 / NODE), "{nested}");
    }

    #[test]
    fn a_for_over_a_map_is_linear_in_the_map() {
        let mut sizes = Sizes::default();
        sizes.set("local.tags", 1_000_000);
        let b = bound(&parse("{ for k, v in local.tags : k => upper(v) }"), &sizes);
        // Linear: a few times the map, not the map times its number of entries.
        assert!(b < 20_000_000, "{b}");
        let b = bound(
            &parse("\"%{ for v in local.tags }${v},%{ endfor }\""),
            &sizes,
        );
        assert!(b < 20_000_000, "{b}");
    }

    #[test]
    fn budget_refuses_what_it_does_not_have() {
        let b = Budget::new(10);
        assert!(b.take(6));
        assert!(!b.take(6));
        assert!(b.take(4));
        b.grant_for_bytes(1);
        assert_eq!(b.remaining(), UNITS_PER_BYTE);
    }
}
