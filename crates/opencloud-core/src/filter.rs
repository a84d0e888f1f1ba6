//! The three filter grammars of the v2 list operations, as typed builders with one renderer and
//! one parser each. The emulator parses with the same code the clients render with, and the
//! round trip is property-tested.

use jiff::Timestamp;

use crate::error::InvalidInput;

/// Renders `id.startsWith("<prefix>")`, escaping `\` and `"` as CEL string literals do.
pub fn render_prefix_filter(prefix: &str) -> String {
    let mut s = String::with_capacity(prefix.len() + 16);
    s.push_str("id.startsWith(\"");
    for c in prefix.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push_str("\")");
    s
}

/// Checks a name prefix for list filters: at most 50 characters (no name is longer).
pub fn check_prefix(field: &'static str, prefix: &str) -> Result<(), InvalidInput> {
    let n = prefix.chars().count();
    if n > crate::names::MAX_NAME_CHARS {
        return Err(InvalidInput::new(
            field,
            format!("must be at most 50 characters, got {n}"),
        ));
    }
    Ok(())
}

/// Parses the `id.startsWith("...")` grammar, the only one list data stores and list entries
/// accept. An empty filter means no filter.
pub fn parse_prefix_filter(filter: &str) -> Result<Option<String>, String> {
    let f = filter.trim();
    if f.is_empty() {
        return Ok(None);
    }
    let inner = f
        .strip_prefix("id.startsWith(\"")
        .and_then(|r| r.strip_suffix("\")"))
        .ok_or_else(|| {
            format!("unsupported filter {filter:?}: only id.startsWith(\"prefix\") is supported")
        })?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('"' | '\\')) => out.push(e),
                _ => return Err(format!("invalid escape in filter {filter:?}")),
            },
            '"' => return Err(format!("unescaped quote in filter {filter:?}")),
            c => out.push(c),
        }
    }
    Ok(Some(out))
}

/// A `revision_create_time` range for list revisions; both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RevisionTimeRange {
    /// Revisions created at or after this time.
    pub start: Option<Timestamp>,
    /// Revisions created at or before this time.
    pub end: Option<Timestamp>,
}

impl RevisionTimeRange {
    /// Checks that the start is not after the end.
    pub fn new(start: Option<Timestamp>, end: Option<Timestamp>) -> Result<Self, InvalidInput> {
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            return Err(InvalidInput::new(
                "filter",
                format!("start {s} is after end {e}"),
            ));
        }
        Ok(Self { start, end })
    }

    /// The filter string, or `None` for an open range.
    pub fn render(&self) -> Option<String> {
        let parts: Vec<String> = [
            self.start.map(|t| format!("revision_create_time >= {t}")),
            self.end.map(|t| format!("revision_create_time <= {t}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        (!parts.is_empty()).then(|| parts.join(" && "))
    }

    /// Parses the documented grammar: `&&`, `<=`, `>=` over `revision_create_time` only.
    pub fn parse(filter: &str) -> Result<Self, String> {
        let mut range = RevisionTimeRange::default();
        if filter.trim().is_empty() {
            return Ok(range);
        }
        for clause in filter.split("&&") {
            let toks: Vec<&str> = clause.split_whitespace().collect();
            let [field, op, value] = toks[..] else {
                return Err(format!("invalid filter clause {:?}", clause.trim()));
            };
            if field != "revision_create_time" {
                return Err(format!(
                    "unsupported field {field:?}: only revision_create_time is supported"
                ));
            }
            let t: Timestamp = value
                .parse()
                .map_err(|_| format!("{value:?} is not an RFC 3339 time"))?;
            let slot = match op {
                ">=" => &mut range.start,
                "<=" => &mut range.end,
                _ => {
                    return Err(format!(
                        "unsupported operator {op:?}: only <= and >= are supported"
                    ));
                }
            };
            if slot.replace(t).is_some() {
                return Err(format!("operator {op} given twice"));
            }
        }
        Ok(range)
    }
}

/// A value range for ordered listings, both ends inclusive. `0` is a bound like any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderedRange {
    /// Entries with a value of at least this.
    pub min: Option<i64>,
    /// Entries with a value of at most this.
    pub max: Option<i64>,
}

impl OrderedRange {
    /// No bounds.
    pub fn all() -> Self {
        Self::default()
    }

    /// Checks that min is not above max and both are safe integers.
    pub fn new(min: Option<i64>, max: Option<i64>) -> Result<Self, InvalidInput> {
        for v in [min, max].into_iter().flatten() {
            crate::names::check_safe_integer("filter", v)?;
        }
        if let (Some(a), Some(b)) = (min, max)
            && a > b
        {
            return Err(InvalidInput::new(
                "filter",
                format!("min {a} is above max {b}"),
            ));
        }
        Ok(Self { min, max })
    }

    /// The filter string (`entry >= 10 && entry <= 50`), or `None` when unbounded.
    pub fn render(&self) -> Option<String> {
        match (self.min, self.max) {
            (None, None) => None,
            (Some(a), None) => Some(format!("entry >= {a}")),
            (None, Some(b)) => Some(format!("entry <= {b}")),
            (Some(a), Some(b)) => Some(format!("entry >= {a} && entry <= {b}")),
        }
    }

    /// Parses the documented grammar: tokens separated by single spaces, `entry` on the left,
    /// an integer on the right, `&&` joining one `>=` and one `<=`.
    pub fn parse(filter: &str) -> Result<Self, String> {
        if filter.is_empty() {
            return Ok(Self::default());
        }
        let toks: Vec<&str> = filter.split(' ').collect();
        let clause = |t: &[&str]| -> Result<(bool, i64), String> {
            match t {
                ["entry", op @ (">=" | "<="), v] => {
                    let n: i64 = v.parse().map_err(|_| format!("{v:?} is not an integer"))?;
                    Ok((*op == ">=", n))
                }
                _ => Err(format!(
                    "invalid filter {filter:?}: expected `entry >= N`, `entry <= N` or `entry >= N && entry <= M` with single spaces"
                )),
            }
        };
        let mut range = Self::default();
        match toks.len() {
            3 => {
                let (is_min, n) = clause(&toks)?;
                if is_min {
                    range.min = Some(n)
                } else {
                    range.max = Some(n)
                }
            }
            7 if toks[3] == "&&" => {
                let (a_min, a) = clause(&toks[..3])?;
                let (b_min, b) = clause(&toks[4..])?;
                if a_min == b_min {
                    return Err(format!(
                        "invalid filter {filter:?}: && must join one >= and one <="
                    ));
                }
                if a_min {
                    (range.min, range.max) = (Some(a), Some(b))
                } else {
                    (range.min, range.max) = (Some(b), Some(a))
                }
            }
            _ => return Err(clause(&[]).unwrap_err()),
        }
        Ok(range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_filters_escape_and_parse_back() {
        assert_eq!(render_prefix_filter("foo"), r#"id.startsWith("foo")"#);
        assert_eq!(
            render_prefix_filter(r#"a"b\c"#),
            r#"id.startsWith("a\"b\\c")"#
        );
        assert_eq!(
            parse_prefix_filter(&render_prefix_filter(r#"a"b\c"#))
                .unwrap()
                .unwrap(),
            r#"a"b\c"#
        );
        assert!(parse_prefix_filter("id == 3").is_err());
        assert_eq!(parse_prefix_filter("").unwrap(), None);
    }

    #[test]
    fn ordered_ranges_treat_zero_as_a_bound() {
        let r = OrderedRange::new(Some(0), None).unwrap();
        assert_eq!(r.render().unwrap(), "entry >= 0");
        assert_eq!(
            OrderedRange::new(Some(-5), Some(0))
                .unwrap()
                .render()
                .unwrap(),
            "entry >= -5 && entry <= 0"
        );
        assert_eq!(
            OrderedRange::parse("entry <= 10 && entry >= 3").unwrap(),
            OrderedRange {
                min: Some(3),
                max: Some(10)
            }
        );
        for bad in [
            "entry<=10",
            "10 <= entry",
            "entry <= 10 && entry <= 50",
            "entry  <= 10",
            "entry == 3",
            "entry <= x",
        ] {
            assert!(OrderedRange::parse(bad).is_err(), "{bad}");
        }
        assert!(OrderedRange::new(Some(3), Some(2)).is_err());
    }

    #[test]
    fn revision_ranges_round_trip() {
        let r = RevisionTimeRange::new(
            Some("2000-01-01T00:00:00Z".parse().unwrap()),
            Some("2001-01-01T00:00:00Z".parse().unwrap()),
        )
        .unwrap();
        let s = r.render().unwrap();
        assert_eq!(
            s,
            "revision_create_time >= 2000-01-01T00:00:00Z && revision_create_time <= 2001-01-01T00:00:00Z"
        );
        assert_eq!(RevisionTimeRange::parse(&s).unwrap(), r);
        assert!(RevisionTimeRange::parse("create_time >= 2000-01-01T00:00:00Z").is_err());
        assert!(RevisionTimeRange::parse("revision_create_time > 2000-01-01T00:00:00Z").is_err());
        assert_eq!(RevisionTimeRange::default().render(), None);
    }
}
