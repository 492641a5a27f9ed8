//! Help in the user's language: the clap definitions carry the English help; under a
//! Chinese locale (or `--lang zh`) every command's and option's help is taken from
//! `content/i18n/help-zh.yaml` (keyed by the command path, and `path.option`). Each
//! command's `--format` help says exactly which formats that command writes.

use std::collections::BTreeMap;

use clap::CommandFactory;
use cloudward_domain::Lang;

use crate::args::Cli;

/// The embedded Chinese help: `scan` → the command's line, `scan.check` → an option's,
/// `--lang` → a global option's.
pub fn chinese() -> BTreeMap<String, String> {
    cloudward_content::embedded_file("i18n/help-zh.yaml")
        .and_then(|t| serde_saphyr::from_str::<BTreeMap<String, String>>(t).ok())
        .unwrap_or_default()
}

/// The language of the help, before the arguments are parsed: `--lang` among them, else
/// the locale.
pub fn lang_of(args: &[String], env: Lang) -> Lang {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = if a == "--lang" {
            it.next().map(String::as_str)
        } else {
            a.strip_prefix("--lang=")
        };
        if let Some(l) = v.and_then(Lang::parse) {
            return l;
        }
    }
    env
}

/// The formats each top-level command writes (`report` has its own).
pub fn formats_by_name(name: &str) -> &'static [&'static str] {
    match name {
        "catalog" | "classify" | "responsibility" | "rules" | "oscal" => {
            &["table", "json", "csv", "markdown", "html"]
        }
        "check" => &["table", "json", "markdown"],
        "scan" => &["table", "json", "sarif", "junit", "markdown", "csv", "html"],
        "schema" => &["json"],
        "push" | "audit" => &["table", "json"],
        "report" => &["pdf", "docx", "html", "markdown", "xlsx", "csv"],
        _ => &["table"],
    }
}

/// Every command path (`scan`, `rules list`) with its option ids, for the completeness test.
#[cfg(test)]
pub fn paths() -> Vec<(String, Vec<String>)> {
    fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<(String, Vec<String>)>) {
        let args: Vec<String> = cmd
            .get_arguments()
            .filter(|a| !a.is_global_set() || path.is_empty())
            .filter(|a| !a.is_hide_set())
            .map(|a| a.get_id().to_string())
            .filter(|id| id != "help" && id != "version")
            .collect();
        if !path.is_empty() && !cmd.is_hide_set() {
            out.push((path.to_owned(), args));
        } else if path.is_empty() {
            out.push((String::new(), args));
        }
        for sub in cmd.get_subcommands() {
            let p = if path.is_empty() {
                sub.get_name().to_owned()
            } else {
                format!("{path}.{}", sub.get_name())
            };
            if !sub.is_hide_set() {
                walk(sub, &p, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Cli::command(), "", &mut out);
    out
}

fn localise(
    mut cmd: clap::Command,
    path: &str,
    top: &str,
    lang: Lang,
    zh: &BTreeMap<String, String>,
) -> clap::Command {
    let key = |arg: &str| {
        if path.is_empty() {
            arg.to_owned()
        } else if arg.is_empty() {
            path.to_owned()
        } else {
            format!("{path}.{arg}")
        }
    };
    if lang == Lang::Zh {
        if let Some(about) = zh.get(&key("")).filter(|_| !path.is_empty()) {
            cmd = cmd.about(about.clone());
        }
        cmd = cmd
            .help_template(
                "{before-help}{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}",
            )
            .subcommand_help_heading("命令")
            .mut_args(|a| {
                let id = a.get_id().to_string();
                let global = a.is_global_set();
                let k = if global { format!("--{id}") } else { key(&id) };
                let heading = if a.is_positional() {
                    "参数"
                } else {
                    "选项"
                };
                let a = a.help_heading(heading);
                match zh.get(&k) {
                    Some(h) => a.help(h.clone()),
                    None => a,
                }
            });
    }
    if !top.is_empty() {
        let list = formats_by_name(top).join(", ");
        let text = match lang {
            Lang::Zh => format!("输出格式：{list}"),
            Lang::En => format!("Output format: {list}"),
        };
        cmd = cmd.mut_args(|a| {
            if a.get_id() == "format" {
                a.help(text.clone())
            } else {
                a
            }
        });
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        let p = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        let t = if top.is_empty() {
            name.clone()
        } else {
            top.to_owned()
        };
        cmd = cmd.mut_subcommand(&name, |sc| localise(sc, &p, &t, lang, zh));
    }
    cmd
}

/// The command line definition with its help in `lang`.
pub fn command(lang: Lang) -> clap::Command {
    let mut cmd = Cli::command();
    cmd.build();
    let zh = if lang == Lang::Zh {
        chinese()
    } else {
        BTreeMap::new()
    };
    localise(cmd, "", "", lang, &zh)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_and_option_has_chinese_help_and_no_entry_is_stale() {
        let zh = chinese();
        assert!(!zh.is_empty(), "content/i18n/help-zh.yaml does not read");
        let mut wanted = std::collections::BTreeSet::new();
        for (path, args) in paths() {
            if !path.is_empty() {
                wanted.insert(path.clone());
            }
            for a in args {
                wanted.insert(if path.is_empty() {
                    format!("--{a}")
                } else {
                    format!("{path}.{a}")
                });
            }
        }
        let missing: Vec<&String> = wanted.iter().filter(|k| !zh.contains_key(*k)).collect();
        let stale: Vec<&String> = zh.keys().filter(|k| !wanted.contains(*k)).collect();
        assert!(
            missing.is_empty() && stale.is_empty(),
            "help-zh.yaml: missing {missing:#?}\nstale {stale:#?}"
        );
        for (k, v) in &zh {
            assert!(
                v.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{k}: not Chinese: {v}"
            );
        }
    }

    #[test]
    fn format_help_lists_what_each_command_writes() {
        let mut cmd = command(Lang::En);
        let scan = cmd.find_subcommand_mut("scan").unwrap();
        let help = scan.render_help().to_string();
        assert!(
            help.contains("Output format: table, json, sarif, junit, markdown, csv, html"),
            "{help}"
        );
        let mut zh = command(Lang::Zh);
        let help = zh
            .find_subcommand_mut("check")
            .unwrap()
            .render_help()
            .to_string();
        assert!(help.contains("输出格式：table, json, markdown"), "{help}");
    }
}
