//! Just enough CSV (RFC 4180, as Go's `encoding/csv` reads it) for the
//! upstream credential files: comma-separated fields, optionally quoted,
//! `""` for a quote inside a quoted field, quoted fields may span lines,
//! blank lines skipped, nothing trimmed.

/// The records of `text`, or an error naming the line, worded like Go's.
pub fn parse(text: &str) -> Result<Vec<Vec<String>>, String> {
    let mut records = Vec::new();
    let mut record: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    // Where we are in the current field.
    #[derive(PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        AfterClosingQuote,
    }
    let mut state = State::FieldStart;
    let end_record = |record: &mut Vec<String>, field: &mut String, records: &mut Vec<_>| {
        record.push(std::mem::take(field));
        let done = std::mem::take(record);
        // A blank line is one empty field: Go skips it.
        if !(done.len() == 1 && done[0].is_empty()) {
            records.push(done);
        }
    };
    while let Some(c) = chars.next() {
        match (&state, c) {
            (State::Quoted, '"') => {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    state = State::AfterClosingQuote;
                }
            }
            (State::Quoted, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (State::FieldStart, '"') => state = State::Quoted,
            (_, ',') => {
                record.push(std::mem::take(&mut field));
                state = State::FieldStart;
            }
            (_, '\r') if chars.peek() == Some(&'\n') => {}
            (_, '\n') => {
                end_record(&mut record, &mut field, &mut records);
                state = State::FieldStart;
                line += 1;
            }
            (State::AfterClosingQuote, _) => {
                return Err(format!(
                    "line {line}: extraneous or missing \" in quoted-field"
                ));
            }
            (State::Unquoted, '"') => {
                return Err(format!("line {line}: bare \" in non-quoted-field"));
            }
            (State::FieldStart | State::Unquoted, c) => {
                field.push(c);
                state = State::Unquoted;
            }
        }
    }
    match state {
        State::Quoted => {
            return Err(format!(
                "line {line}: extraneous or missing \" in quoted-field"
            ));
        }
        _ if record.is_empty() && field.is_empty() && state == State::FieldStart => {}
        _ => end_record(&mut record, &mut field, &mut records),
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_quotes_and_blank_lines() {
        let text = "a,b,c\n\nd,\"e,f\",\"say \"\"hi\"\"\"\r\n\"multi\nline\",x";
        assert_eq!(
            parse(text).unwrap(),
            vec![
                vec!["a", "b", "c"],
                vec!["d", "e,f", "say \"hi\""],
                vec!["multi\nline", "x"],
            ]
        );
    }

    #[test]
    fn spaces_are_kept_and_empty_fields_counted() {
        assert_eq!(parse(" a , b,\n").unwrap(), vec![vec![" a ", " b", ""]]);
    }

    #[test]
    fn malformed_quotes_are_errors_with_a_line() {
        assert_eq!(
            parse("ok,1\nbad\"quote,2").unwrap_err(),
            "line 2: bare \" in non-quoted-field"
        );
        assert!(parse("\"unterminated").is_err());
        assert!(parse("\"closed\"junk,1").is_err());
    }
}
