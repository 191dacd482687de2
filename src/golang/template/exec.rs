//! Go `text/template` executor: walks the tree over a [`Value`], with Go's rules for fields,
//! methods, variables, `range` (maps in sorted key order), truth and printing.

use super::funcs;
use super::parse::{Arg, Branch, Cmd, Node, Pipe};
use crate::golang::value::Value;

/// Limits a template run so that no template can hang or exhaust memory (Go has none, but a
/// commit message never needs more).
const MAX_STEPS: u64 = 1_000_000;
/// The largest message a template may render.
const MAX_OUTPUT: usize = 4 << 20;

/// What a walked list asks its enclosing `range` to do.
enum Flow {
    Normal,
    Break,
    Continue,
}

/// One template execution.
pub struct Exec<'a> {
    name: &'a str,
    src: &'a str,
    vars: Vec<(String, Value)>,
    out: String,
    steps: u64,
}

impl<'a> Exec<'a> {
    /// Prepares a run of the template `name` whose source is `src`, with `$` bound to `data`.
    pub fn new(name: &'a str, src: &'a str, data: &Value) -> Self {
        Self {
            name,
            src,
            vars: vec![("$".to_owned(), data.clone())],
            out: String::new(),
            steps: 0,
        }
    }

    /// Runs the template; the error is Go's `template: NAME:LINE:COL: executing ...` text.
    pub fn run(mut self, nodes: &[Node], dot: &Value) -> Result<String, String> {
        self.walk(nodes, dot)?;
        Ok(self.out)
    }

    fn error(&self, pos: usize, at: &str, msg: &str) -> String {
        let before = self.src.get(..pos).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let col = before.rfind('\n').map_or(pos, |nl| pos - nl - 1);
        format!(
            "template: {}:{line}:{col}: executing {:?} at <{at}>: {msg}",
            self.name, self.name
        )
    }

    fn step(&mut self, pos: usize) -> Result<(), String> {
        self.steps += 1;
        if self.steps > MAX_STEPS || self.out.len() > MAX_OUTPUT {
            return Err(self.error(pos, "", "template run too long (over fluxdeck's limits)"));
        }
        Ok(())
    }

    fn walk(&mut self, nodes: &[Node], dot: &Value) -> Result<Flow, String> {
        for node in nodes {
            let flow = match node {
                Node::Text(text) => {
                    self.out.push_str(text);
                    Flow::Normal
                }
                Node::Action(pipe) => {
                    self.step(pipe.pos)?;
                    let value = self.pipe(pipe, dot)?;
                    if pipe.decl.is_empty() {
                        self.out.push_str(&value.printed());
                    }
                    Flow::Normal
                }
                Node::If(branch) | Node::With(branch) => {
                    let is_with = matches!(node, Node::With(_));
                    let scope = self.vars.len();
                    let value = self.pipe(&branch.pipe, dot)?;
                    let flow = if value.truth() {
                        let inner = if is_with { value } else { dot.clone() };
                        self.walk(&branch.list, &inner)?
                    } else if let Some(else_list) = &branch.else_list {
                        self.walk(else_list, dot)?
                    } else {
                        Flow::Normal
                    };
                    self.vars.truncate(scope);
                    flow
                }
                Node::Range(branch) => self.range(branch, dot)?,
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            };
            if !matches!(flow, Flow::Normal) {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn range(&mut self, branch: &Branch, dot: &Value) -> Result<Flow, String> {
        let pipe = &branch.pipe;
        let value = self.pipe_value(pipe, dot)?;
        let pairs: Box<dyn Iterator<Item = (Value, Value)>> = match &value {
            Value::List(l) => Box::new(
                l.items
                    .clone()
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (Value::Int(i64::try_from(i).unwrap_or(i64::MAX)), v)),
            ),
            Value::Map(m) => Box::new(m.entries.clone().into_iter()),
            Value::Int(n) if pipe.decl.len() < 2 => {
                Box::new((0..*n).map(|i| (Value::Int(i), Value::Int(i))))
            }
            Value::Invalid | Value::Nil => Box::new(std::iter::empty()),
            other => {
                let at = pipe
                    .cmds
                    .first()
                    .map(|c| c.text.as_str())
                    .unwrap_or_default();
                return Err(self.error(
                    pipe.pos,
                    at,
                    &format!("range can't iterate over {}", other.printed()),
                ));
            }
        };
        let mut pairs = pairs.peekable();
        if pairs.peek().is_none() {
            if let Some(else_list) = &branch.else_list {
                let scope = self.vars.len();
                let flow = self.walk(else_list, dot)?;
                self.vars.truncate(scope);
                return Ok(flow);
            }
            return Ok(Flow::Normal);
        }
        for (key, elem) in pairs {
            self.step(pipe.pos)?;
            let scope = self.vars.len();
            match pipe.decl.as_slice() {
                [v] => self.vars.push((v.clone(), elem.clone())),
                [k, v] => {
                    self.vars.push((k.clone(), key));
                    self.vars.push((v.clone(), elem.clone()));
                }
                _ => {}
            }
            let flow = self.walk(&branch.list, &elem)?;
            self.vars.truncate(scope);
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        Ok(Flow::Normal)
    }

    /// Evaluates a pipeline and binds its declared variables.
    fn pipe(&mut self, pipe: &Pipe, dot: &Value) -> Result<Value, String> {
        let value = self.pipe_value(pipe, dot)?;
        for name in &pipe.decl {
            if pipe.assign {
                if let Some(slot) = self.vars.iter_mut().rev().find(|(n, _)| n == name) {
                    slot.1 = value.clone();
                }
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    /// Evaluates a pipeline's commands, each result the last argument of the next.
    fn pipe_value(&mut self, pipe: &Pipe, dot: &Value) -> Result<Value, String> {
        let mut last: Option<Value> = None;
        for cmd in &pipe.cmds {
            last = Some(self.cmd(cmd, dot, last)?);
        }
        Ok(last.unwrap_or(Value::Invalid))
    }

    fn cmd(&mut self, cmd: &Cmd, dot: &Value, last: Option<Value>) -> Result<Value, String> {
        let Some((first, rest)) = cmd.args.split_first() else {
            return Err(self.error(cmd.pos, &cmd.text, "empty command"));
        };
        let has_args = !rest.is_empty() || last.is_some();
        let fail = |this: &Self, msg: String| this.error(cmd.pos, &cmd.text, &msg);
        match first {
            Arg::Func(name) => {
                if name == "and" || name == "or" {
                    return self.and_or(name, rest, last, dot, cmd);
                }
                let mut args = Vec::with_capacity(rest.len() + 1);
                for arg in rest {
                    args.push(self.arg(arg, dot, cmd)?);
                }
                args.extend(last);
                // Go hands a missing value to a function as a nil interface.
                for a in &mut args {
                    if matches!(a, Value::Invalid) {
                        *a = Value::Nil;
                    }
                }
                funcs::call(name, &args)
                    .map_err(|e| fail(self, format!("error calling {name}: {e}")))
            }
            Arg::Field(_) | Arg::Var(..) | Arg::Sub(..) if has_args => Err(fail(
                self,
                format!("{} is not a method but has arguments", cmd.text),
            )),
            Arg::Nil => Err(fail(self, "nil is not a command".to_owned())),
            _ if has_args => Err(self.error(
                cmd.pos,
                &cmd.first,
                &format!("can't give argument to non-function {}", cmd.first),
            )),
            other => self.arg(other, dot, cmd),
        }
    }

    /// `and`/`or`, evaluated lazily as Go does since 1.18: the first false (true) argument, or
    /// the last one.
    fn and_or(
        &mut self,
        name: &str,
        rest: &[Arg],
        last: Option<Value>,
        dot: &Value,
        cmd: &Cmd,
    ) -> Result<Value, String> {
        let total = rest.len() + usize::from(last.is_some());
        if total == 0 {
            return Err(self.error(
                cmd.pos,
                &cmd.text,
                &format!("wrong number of args for {name}: want at least 1 got 0"),
            ));
        }
        let mut value = Value::Invalid;
        for arg in rest {
            value = self.arg(arg, dot, cmd)?;
            if value.truth() == (name == "or") {
                return Ok(value);
            }
        }
        Ok(last.unwrap_or(value))
    }

    fn arg(&mut self, arg: &Arg, dot: &Value, cmd: &Cmd) -> Result<Value, String> {
        match arg {
            Arg::Dot => Ok(dot.clone()),
            Arg::Nil => Ok(Value::Nil),
            Arg::Bool(b) => Ok(Value::Bool(*b)),
            Arg::Int(i) => Ok(Value::Int(*i)),
            Arg::Float(f) => Ok(Value::Float(*f)),
            Arg::Str(s) => Ok(Value::str(s.as_str())),
            Arg::Field(chain) => self.chain(dot.clone(), chain, cmd),
            Arg::Var(name, chain) => {
                let value = self
                    .vars
                    .iter()
                    .rev()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| {
                        self.error(cmd.pos, &cmd.text, &format!("undefined variable: {name}"))
                    })?;
                self.chain(value, chain, cmd)
            }
            Arg::Sub(pipe, chain) => {
                let value = self.pipe(pipe, dot)?;
                self.chain(value, chain, cmd)
            }
            Arg::Func(name) => self.cmd(
                &Cmd {
                    pos: cmd.pos,
                    text: name.clone(),
                    first: name.clone(),
                    args: vec![Arg::Func(name.clone())],
                },
                dot,
                None,
            ),
        }
    }

    fn chain(&self, mut value: Value, chain: &[String], cmd: &Cmd) -> Result<Value, String> {
        for name in chain {
            value = match &value {
                Value::Struct(s) => s.member(name).ok_or_else(|| {
                    self.error(
                        cmd.pos,
                        &cmd.text,
                        &format!("can't evaluate field {name} in type {}", s.type_name),
                    )
                })?,
                Value::Map(m) if m.entries.iter().all(|(k, _)| matches!(k, Value::Str(_))) => m
                    .get(&Value::str(name.as_str()))
                    .cloned()
                    .unwrap_or(Value::Invalid),
                Value::Invalid | Value::Nil => Value::Invalid,
                other => {
                    return Err(self.error(
                        cmd.pos,
                        &cmd.text,
                        &format!("can't evaluate field {name} in type {}", other.type_name()),
                    ));
                }
            };
        }
        Ok(value)
    }
}
