//! Go `text/template` parser: the tree of text, actions and `if`/`with`/`range` blocks, with
//! Go's parse-time checks (unknown functions, undefined variables, `break` outside `range`).

use super::lex::{Tok, Token};

/// A node of the template tree.
#[derive(Debug, Clone)]
pub enum Node {
    /// Literal text.
    Text(String),
    /// `{{pipeline}}`.
    Action(Pipe),
    /// `{{if}}`.
    If(Branch),
    /// `{{with}}`.
    With(Branch),
    /// `{{range}}`.
    Range(Branch),
    /// `{{break}}`.
    Break,
    /// `{{continue}}`.
    Continue,
}

/// A block with its pipeline, its body and its `{{else}}` part.
#[derive(Debug, Clone)]
pub struct Branch {
    /// The controlling pipeline.
    pub pipe: Pipe,
    /// The body.
    pub list: Vec<Node>,
    /// The `{{else}}` body (an `{{else if}}` is a nested block here).
    pub else_list: Option<Vec<Node>>,
}

/// A pipeline: optional variable declarations, then commands joined by `|`.
#[derive(Debug, Clone)]
pub struct Pipe {
    /// Byte offset, for error positions.
    pub pos: usize,
    /// Declared or assigned variables (`$x :=`, `$k, $v :=`).
    pub decl: Vec<String>,
    /// True for `=` (assignment to existing variables), false for `:=`.
    pub assign: bool,
    /// The commands; each one's result is the last argument of the next.
    pub cmds: Vec<Cmd>,
}

/// A command: an operand, or a function with its arguments.
#[derive(Debug, Clone)]
pub struct Cmd {
    /// Byte offset, for error positions.
    pub pos: usize,
    /// The command's source text, for error messages.
    pub text: String,
    /// The first operand's source text, for error messages.
    pub first: String,
    /// Operands; the first one is the function or value.
    pub args: Vec<Arg>,
}

/// An operand.
#[derive(Debug, Clone)]
pub enum Arg {
    /// `.`
    Dot,
    /// `nil`
    Nil,
    /// `true` / `false`
    Bool(bool),
    /// An integer constant.
    Int(i64),
    /// A float constant.
    Float(f64),
    /// A string constant.
    Str(String),
    /// `.A.B`: fields of dot.
    Field(Vec<String>),
    /// `$x.A.B`.
    Var(String, Vec<String>),
    /// A function name.
    Func(String),
    /// `(pipeline).A.B`.
    Sub(Box<Pipe>, Vec<String>),
}

/// A parse error: message and byte offset.
pub type ParseError = (String, usize);

/// How deep blocks and parentheses may nest; deeper templates are refused rather than risk
/// the stack (commit messages nest a few levels).
const MAX_DEPTH: usize = 100;

enum Stop {
    Eof,
    End,
    Else,
}

/// Parses a token stream; `is_func` says which function names exist.
pub fn parse(
    src: &str,
    toks: &[Token],
    is_func: &dyn Fn(&str) -> bool,
) -> Result<Vec<Node>, ParseError> {
    let mut p = Parser {
        src,
        toks,
        i: 0,
        vars: vec!["$".to_owned()],
        range_depth: 0,
        depth: 0,
        is_func,
    };
    match p.list()? {
        (nodes, Stop::Eof) => Ok(nodes),
        (_, Stop::End) => Err(("unexpected {{end}}".to_owned(), p.last_pos())),
        (_, Stop::Else) => Err(("unexpected {{else}}".to_owned(), p.last_pos())),
    }
}

struct Parser<'a> {
    src: &'a str,
    toks: &'a [Token],
    i: usize,
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
    is_func: &'a dyn Fn(&str) -> bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.tok)
    }

    fn pos(&self) -> usize {
        self.toks.get(self.i).map_or(self.src.len(), |t| t.pos)
    }

    fn last_pos(&self) -> usize {
        self.toks.get(self.i.saturating_sub(1)).map_or(0, |t| t.pos)
    }

    fn next(&mut self) -> Option<Tok> {
        let tok = self.toks.get(self.i).map(|t| t.tok.clone());
        self.i += 1;
        tok
    }

    fn expect_close(&mut self, what: &str) -> Result<(), ParseError> {
        let pos = self.pos();
        match self.next() {
            Some(Tok::Close) => Ok(()),
            Some(tok) => Err((format!("unexpected {} in {what}", describe(&tok)), pos)),
            None => Err((format!("unclosed action in {what}"), pos)),
        }
    }

    fn list(&mut self) -> Result<(Vec<Node>, Stop), ParseError> {
        let mut nodes = Vec::new();
        loop {
            match self.next() {
                None => return Ok((nodes, Stop::Eof)),
                Some(Tok::Text(text)) => nodes.push(Node::Text(text)),
                Some(Tok::Open) => {
                    let pos = self.pos();
                    match self.peek() {
                        Some(Tok::Ident(word)) => match word.as_str() {
                            "end" => {
                                self.i += 1;
                                self.expect_close("end")?;
                                return Ok((nodes, Stop::End));
                            }
                            "else" => {
                                self.i += 1;
                                return Ok((nodes, Stop::Else));
                            }
                            "if" | "with" | "range" => {
                                let word = word.clone();
                                self.i += 1;
                                nodes.push(self.block(&word)?);
                            }
                            "break" | "continue" => {
                                let node = if word == "break" {
                                    Node::Break
                                } else {
                                    Node::Continue
                                };
                                let word = word.clone();
                                self.i += 1;
                                if self.range_depth == 0 {
                                    return Err((
                                        format!("{{{{{word}}}}} outside {{{{range}}}}"),
                                        pos,
                                    ));
                                }
                                self.expect_close(&word)?;
                                nodes.push(node);
                            }
                            "define" | "template" | "block" => {
                                return Err((
                                    format!(
                                        "{{{{{word}}}}} is not supported by fluxdeck's template engine; inline the text instead"
                                    ),
                                    pos,
                                ));
                            }
                            _ => nodes.push(self.action()?),
                        },
                        _ => nodes.push(self.action()?),
                    }
                }
                Some(tok) => {
                    return Err((format!("unexpected {}", describe(&tok)), self.last_pos()));
                }
            }
        }
    }

    fn action(&mut self) -> Result<Node, ParseError> {
        let pipe = self.pipeline("command", false)?;
        self.expect_close("command")?;
        Ok(Node::Action(pipe))
    }

    /// `if`/`with`/`range` after its keyword, through its `{{end}}`.
    fn block(&mut self, word: &str) -> Result<Node, ParseError> {
        self.enter()?;
        let node = self.block_inner(word);
        self.depth -= 1;
        node
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            self.depth -= 1;
            return Err((
                format!("nesting deeper than {MAX_DEPTH} levels"),
                self.pos(),
            ));
        }
        Ok(())
    }

    fn block_inner(&mut self, word: &str) -> Result<Node, ParseError> {
        let scope = self.vars.len();
        let pipe = self.pipeline(word, word == "range")?;
        self.expect_close(word)?;
        if word == "range" {
            self.range_depth += 1;
        }
        let listed = self.list();
        if word == "range" {
            self.range_depth -= 1;
        }
        let (list, stop) = listed?;
        let else_list = match stop {
            Stop::End => None,
            Stop::Eof => return Err(("unexpected EOF".to_owned(), self.src.len())),
            Stop::Else => {
                let chained = matches!(self.peek(), Some(Tok::Ident(w)) if (w == "if" || w == "with") && word != "range");
                if chained {
                    // {{else if ...}} is {{else}}{{if ...}}...{{end}} sharing the outer {{end}}.
                    let inner = match self.next() {
                        Some(Tok::Ident(w)) => w,
                        _ => String::new(),
                    };
                    Some(vec![self.block(&inner)?])
                } else {
                    self.expect_close("else")?;
                    match self.list()? {
                        (else_list, Stop::End) => Some(else_list),
                        (_, Stop::Else) => {
                            return Err((
                                "expected end; found {{else}}".to_owned(),
                                self.last_pos(),
                            ));
                        }
                        (_, Stop::Eof) => {
                            return Err(("unexpected EOF".to_owned(), self.src.len()));
                        }
                    }
                }
            }
        };
        self.vars.truncate(scope);
        let branch = Branch {
            pipe,
            list,
            else_list,
        };
        Ok(match word {
            "if" => Node::If(branch),
            "with" => Node::With(branch),
            _ => Node::Range(branch),
        })
    }

    fn pipeline(&mut self, context: &str, two_vars: bool) -> Result<Pipe, ParseError> {
        let pos = self.pos();
        let mut decl = Vec::new();
        let mut assign = false;
        let toks = self.toks.get(self.i..).unwrap_or_default();
        let tok = |k: usize| toks.get(k).map(|t| &t.tok);
        let decl_len = match (tok(0), tok(1), tok(2), tok(3)) {
            (Some(Tok::Var(_)), Some(Tok::Declare | Tok::Assign), _, _) => 1,
            (
                Some(Tok::Var(_)),
                Some(Tok::Comma),
                Some(Tok::Var(_)),
                Some(Tok::Declare | Tok::Assign),
            ) if two_vars => 2,
            _ => 0,
        };
        for k in 0..decl_len {
            if let Some(Tok::Var(name)) = tok(k * 2) {
                decl.push(name.clone());
            }
        }
        if decl_len > 0 {
            assign = matches!(tok(decl_len * 2 - 1), Some(Tok::Assign));
            self.i += decl_len * 2;
            for name in &decl {
                if assign && !self.vars.contains(name) {
                    return Err((format!("undefined variable {name:?}"), pos));
                }
            }
            if !assign {
                self.vars.extend(decl.iter().cloned());
            }
        }
        let mut cmds = Vec::new();
        loop {
            cmds.push(self.command(context)?);
            match self.peek() {
                Some(Tok::Pipe) => self.i += 1,
                _ => break,
            }
        }
        Ok(Pipe {
            pos,
            decl,
            assign,
            cmds,
        })
    }

    fn command(&mut self, context: &str) -> Result<Cmd, ParseError> {
        let pos = self.pos();
        let mut args = Vec::new();
        let mut first_end = pos;
        loop {
            match self.peek() {
                None | Some(Tok::Close | Tok::Pipe | Tok::RParen) => break,
                _ => args.push(self.operand()?),
            }
            if args.len() == 1 {
                first_end = self
                    .toks
                    .get(self.i.saturating_sub(1))
                    .map_or(pos, |t| t.end);
            }
        }
        if args.is_empty() {
            return Err((format!("missing value for {context}"), pos));
        }
        let end = self
            .toks
            .get(self.i.saturating_sub(1))
            .map_or(pos, |t| t.end);
        let text = self.src.get(pos..end).unwrap_or_default().to_owned();
        let first = self.src.get(pos..first_end).unwrap_or_default().to_owned();
        Ok(Cmd {
            pos,
            text,
            first,
            args,
        })
    }

    fn operand(&mut self) -> Result<Arg, ParseError> {
        let pos = self.pos();
        let Some(tok) = self.next() else {
            return Err(("unexpected end of template".to_owned(), pos));
        };
        let arg = match tok {
            Tok::Dot => Arg::Dot,
            Tok::Nil => Arg::Nil,
            Tok::Bool(b) => Arg::Bool(b),
            Tok::Int(n) => Arg::Int(n),
            Tok::Float(f) => Arg::Float(f),
            Tok::Str(s) => Arg::Str(s),
            Tok::Field(first) => {
                let mut chain = vec![first];
                chain.extend(self.chain());
                return Ok(Arg::Field(chain));
            }
            Tok::Var(name) => {
                if !self.vars.contains(&name) {
                    return Err((format!("undefined variable {name:?}"), pos));
                }
                return Ok(Arg::Var(name, self.chain()));
            }
            Tok::Ident(name) => {
                if matches!(
                    name.as_str(),
                    "if" | "else"
                        | "end"
                        | "range"
                        | "with"
                        | "break"
                        | "continue"
                        | "define"
                        | "template"
                        | "block"
                ) {
                    return Err((format!("unexpected keyword {name:?} in operand"), pos));
                }
                if !(self.is_func)(&name) {
                    return Err((format!("function {name:?} not defined"), pos));
                }
                Arg::Func(name)
            }
            Tok::LParen => {
                self.enter()?;
                let pipe = self.pipeline("parenthesized pipeline", false);
                self.depth -= 1;
                let pipe = pipe?;
                match self.next() {
                    Some(Tok::RParen) => {}
                    _ => return Err(("unclosed left paren".to_owned(), pos)),
                }
                return Ok(Arg::Sub(Box::new(pipe), self.chain()));
            }
            other => return Err((format!("unexpected {} in operand", describe(&other)), pos)),
        };
        if matches!(self.peek(), Some(Tok::Field(_))) && self.adjacent() {
            return Err(("unexpected . after term".to_owned(), self.pos()));
        }
        Ok(arg)
    }

    /// True when the next token starts right where the previous one ended.
    fn adjacent(&self) -> bool {
        match (self.toks.get(self.i.wrapping_sub(1)), self.toks.get(self.i)) {
            (Some(prev), Some(next)) => prev.end == next.pos,
            _ => false,
        }
    }

    /// Field names written right after a term (`$x.A.B`, `(...).A`).
    fn chain(&mut self) -> Vec<String> {
        let mut names = Vec::new();
        while self.adjacent() {
            match self.peek() {
                Some(Tok::Field(name)) => {
                    names.push(name.clone());
                    self.i += 1;
                }
                _ => break,
            }
        }
        names
    }
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Text(_) => "text".to_owned(),
        Tok::Open => "\"{{\"".to_owned(),
        Tok::Close => "\"}}\"".to_owned(),
        Tok::Field(f) => format!("field .{f}"),
        Tok::Var(v) => format!("variable {v}"),
        Tok::Dot => "\".\"".to_owned(),
        Tok::Ident(i) => format!("{i:?}"),
        Tok::Bool(b) => format!("{b}"),
        Tok::Nil => "nil".to_owned(),
        Tok::Int(n) => format!("number {n}"),
        Tok::Float(f) => format!("number {f}"),
        Tok::Str(s) => format!("string {s:?}"),
        Tok::LParen => "\"(\"".to_owned(),
        Tok::RParen => "\")\"".to_owned(),
        Tok::Pipe => "\"|\"".to_owned(),
        Tok::Declare => "\":=\"".to_owned(),
        Tok::Assign => "\"=\"".to_owned(),
        Tok::Comma => "\",\"".to_owned(),
    }
}
