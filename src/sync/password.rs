//! `--password-command`: a command whose first line of output is the password, run as an
//! argv (split here the way a shell quotes words, and nothing more: no variables, globs,
//! pipes or redirections), never through a shell.

use std::process::{Command, Stdio};

/// The password the command prints (its first line). Errors are for the user.
pub(crate) fn run_command(argv: &[String]) -> Result<String, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("--password-command is empty".into());
    };
    let name = crate::sanitize::line(program);
    let output = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run the password command `{name}`: {e}"))?;
    if !output.status.success() {
        return Err(format!("the password command `{name}` failed ({})", output.status));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|_| format!("the password command `{name}` printed no UTF-8"))?;
    let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
    if line.is_empty() {
        return Err(format!("the password command `{name}` printed no password"));
    }
    Ok(line.to_owned())
}

/// Splits a command line into words the way a shell would quote them, without anything
/// else a shell does.
pub(crate) fn split_argv(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => words.extend(word.take()),
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => w.push(c),
                        None => return Err("--password-command has an unclosed '".into()),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c) => w.push(c),
                            None => return Err("--password-command ends in \\".into()),
                        },
                        Some(c) => w.push(c),
                        None => return Err("--password-command has an unclosed \"".into()),
                    }
                }
            }
            '\\' => match chars.next() {
                Some(c) => word.get_or_insert_with(String::new).push(c),
                None => return Err("--password-command ends in \\".into()),
            },
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    if words.is_empty() {
        return Err("--password-command is empty".into());
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_line_splits_like_a_shell_quotes_it_and_nothing_more() {
        assert_eq!(split_argv("pass show fever").unwrap(), ["pass", "show", "fever"]);
        assert_eq!(split_argv(r#"printf '%s\n' "a b" c\ d"#).unwrap(), ["printf", r"%s\n", "a b", "c d"]);
        assert_eq!(
            split_argv("echo $HOME; rm -rf / | x").unwrap(),
            ["echo", "$HOME;", "rm", "-rf", "/", "|", "x"]
        );
        assert_eq!(split_argv("  ''  ").unwrap(), [""]);
        assert!(split_argv("echo 'open").is_err());
        assert!(split_argv("   ").is_err());
    }

    #[test]
    fn the_first_line_is_the_password_and_failures_say_why() {
        let argv = split_argv("printf 'secret one\\nsecond line\\n'").unwrap();
        assert_eq!(run_command(&argv).unwrap(), "secret one");
        // No shell: `;` and `$HOME` are plain arguments to printf.
        assert_eq!(run_command(&split_argv("printf %s; $HOME").unwrap()).unwrap(), "$HOME;");
        assert!(run_command(&split_argv("false").unwrap()).unwrap_err().contains("failed"));
        assert!(run_command(&split_argv("true").unwrap()).unwrap_err().contains("no password"));
        assert!(run_command(&split_argv("/nonexistent/x").unwrap()).unwrap_err().contains("cannot run"));
    }
}
