//! The two text formats `/metrics` speaks: OpenMetrics 1.0.0, as the
//! metrics library writes it, and the classic Prometheus text format 0.0.4,
//! which most scrapers and their parsers read.
//!
//! The formats differ where a classic parser would misread OpenMetrics:
//! a counter family is named without `_total` in OpenMetrics but must be
//! named as its samples are (`…_total`) in 0.0.4, or the parser takes the
//! samples as untyped; 0.0.4 has no `# UNIT`, no `# EOF`, no exemplars, no
//! `info` or `unknown` types, and its timestamps are integer milliseconds.

/// The media type of OpenMetrics text.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The media type of the classic text format.
pub const CLASSIC: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A text exposition format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// OpenMetrics 1.0.0.
    OpenMetrics,
    /// The classic Prometheus text format, version 0.0.4.
    Classic,
}

impl Format {
    /// The format an `Accept` header asks for: OpenMetrics when
    /// `application/openmetrics-text` is acceptable (q above 0) and
    /// preferred at least as much as `text/plain` (or a wildcard that covers
    /// it); the classic format otherwise, and when there is no header.
    pub fn negotiate(accept: Option<&str>) -> Format {
        let Some(accept) = accept else {
            return Format::Classic;
        };
        let (mut openmetrics, mut classic) = (0.0f32, 0.0f32);
        for range in accept.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.split_once('='))
                .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
                .and_then(|(_, v)| v.trim().parse::<f32>().ok())
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            match media.as_str() {
                "application/openmetrics-text" => openmetrics = openmetrics.max(q),
                "text/plain" | "text/*" | "*/*" => classic = classic.max(q),
                _ => {}
            }
        }
        if openmetrics > 0.0 && openmetrics >= classic {
            Format::OpenMetrics
        } else {
            Format::Classic
        }
    }

    /// The `Content-Type` of a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::OpenMetrics => OPENMETRICS,
            Format::Classic => CLASSIC,
        }
    }
}

/// Rewrites OpenMetrics text in the classic text format 0.0.4: counter
/// families take their samples' `_total` name, `info` families become
/// gauges named `…_info`, `unknown` and the types 0.0.4 lacks become
/// `untyped`; `# UNIT`, `# EOF`, `_created` samples and exemplars are left
/// out; timestamps become milliseconds; HELP keeps only the escapes 0.0.4
/// knows.
pub fn to_classic(openmetrics: &str) -> String {
    let mut out = String::with_capacity(openmetrics.len());
    // A family's HELP line waits for its TYPE line, which says its name.
    let mut help: Option<(&str, &str)> = None;
    // The family's type, to drop the samples 0.0.4 has no place for.
    let mut family_type = "";
    for line in openmetrics.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            if let Some((name, text)) = help.take() {
                // A HELP with no TYPE after it: untyped, under its own name.
                push_help(&mut out, name, text);
            }
            let (name, text) = rest.split_once(' ').unwrap_or((rest, ""));
            help = Some((name, text));
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, "unknown"));
            let (exposed, classic_kind) = match kind {
                "counter" => (format!("{name}_total"), "counter"),
                "gauge" => (name.to_string(), "gauge"),
                "histogram" => (name.to_string(), "histogram"),
                "summary" => (name.to_string(), "summary"),
                "info" => (format!("{name}_info"), "gauge"),
                _ => (name.to_string(), "untyped"),
            };
            family_type = match kind {
                "counter" | "histogram" | "summary" => "created",
                _ => "",
            };
            if let Some((help_name, text)) = help.take() {
                let name = if help_name == name {
                    &exposed
                } else {
                    help_name
                };
                push_help(&mut out, name, text);
            }
            out.push_str("# TYPE ");
            out.push_str(&exposed);
            out.push(' ');
            out.push_str(classic_kind);
            out.push('\n');
        } else if line.starts_with('#') || line.is_empty() {
            // `# UNIT`, `# EOF` and any other comment: not in 0.0.4.
        } else {
            if let Some((name, text)) = help.take() {
                push_help(&mut out, name, text);
            }
            let sample = sample_of(line);
            if family_type == "created" && sample.name.ends_with("_created") {
                continue;
            }
            out.push_str(sample.series);
            out.push(' ');
            out.push_str(sample.value);
            if let Some(ms) = sample.timestamp_ms {
                out.push(' ');
                out.push_str(&ms.to_string());
            }
            out.push('\n');
        }
    }
    if let Some((name, text)) = help.take() {
        push_help(&mut out, name, text);
    }
    out
}

/// A HELP line, with `\"` (an OpenMetrics escape that 0.0.4 lacks) unescaped.
fn push_help(out: &mut String, name: &str, text: &str) {
    out.push_str("# HELP ");
    out.push_str(name);
    out.push(' ');
    out.push_str(&text.replace("\\\"", "\""));
    out.push('\n');
}

/// One sample line's parts.
struct Sample<'a> {
    /// The metric name.
    name: &'a str,
    /// The name with its label set.
    series: &'a str,
    value: &'a str,
    timestamp_ms: Option<i64>,
}

/// Splits a sample line: series (name and labels, whose values may hold
/// spaces), value, optional timestamp in seconds; an exemplar after ` # ` is
/// dropped.
fn sample_of(line: &str) -> Sample<'_> {
    // The label set ends at the last `}` before the value; label values
    // escape their quotes, so a `}` inside one is inside quotes.
    let series_end = match line.find('{') {
        Some(open) => close_of_labels(line, open).map_or(line.len(), |c| c + 1),
        None => line.find(' ').unwrap_or(line.len()),
    };
    let name_end = line.find(['{', ' ']).unwrap_or(line.len());
    let series = &line[..series_end];
    let rest = line[series_end..].trim_start();
    let rest = rest.split(" # ").next().unwrap_or(rest);
    let mut fields = rest.split_whitespace();
    let value = fields.next().unwrap_or("");
    let timestamp_ms = fields
        .next()
        .and_then(|t| t.parse::<f64>().ok())
        .map(|secs| (secs * 1000.0).round() as i64);
    Sample {
        name: &line[..name_end],
        series,
        value,
        timestamp_ms,
    }
}

/// The index of the `}` that closes the label set opened at `open`.
fn close_of_labels(line: &str, open: usize) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line[open..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '}' if !quoted => return Some(open + i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_the_accept_header() {
        use Format::*;
        let cases = [
            (None, Classic),
            (Some("text/plain"), Classic),
            (Some("text/plain; version=0.0.4"), Classic),
            (Some("*/*"), Classic),
            (Some("application/json"), Classic),
            (Some("application/openmetrics-text"), OpenMetrics),
            (
                Some("Application/OpenMetrics-Text; version=1.0.0"),
                OpenMetrics,
            ),
            // What Prometheus sends: OpenMetrics preferred.
            (
                Some(
                    "application/openmetrics-text;version=1.0.0;q=0.5,\
                     application/openmetrics-text;version=0.0.1;q=0.4,\
                     text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
                ),
                OpenMetrics,
            ),
            // Classic preferred, or OpenMetrics refused.
            (
                Some("text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5"),
                Classic,
            ),
            (Some("application/openmetrics-text;q=0"), Classic),
            (
                Some("application/openmetrics-text;q=0.4,*/*;q=0.8"),
                Classic,
            ),
            // A tie goes to the format named.
            (
                Some("text/plain, application/openmetrics-text"),
                OpenMetrics,
            ),
            // A q that is not a number counts as 1.
            (Some("application/openmetrics-text;q=x"), OpenMetrics),
        ];
        for (accept, want) in cases {
            assert_eq!(Format::negotiate(accept), want, "{accept:?}");
        }
    }

    #[test]
    fn counters_are_named_as_their_samples_and_openmetrics_only_lines_go() {
        let om = "\
# HELP deltabench_documents_accepted Signed documents newly stored.
# TYPE deltabench_documents_accepted counter
deltabench_documents_accepted_total 5
deltabench_documents_accepted_created 1700000000.0
# HELP deltabench_documents_held Signed documents held \\\"now\\\".
# TYPE deltabench_documents_held gauge
# UNIT deltabench_documents_held documents
deltabench_documents_held 7 1700000000.5
# HELP deltabench_build Build.
# TYPE deltabench_build info
deltabench_build_info{version=\"0.1.0\"} 1
# TYPE deltabench_odd unknown
deltabench_odd{path=\"a } b\",x=\"q\\\"}\"} 2.5 # {trace=\"1\"} 1.0
# HELP deltabench_api_seconds API latency.
# TYPE deltabench_api_seconds histogram
deltabench_api_seconds_bucket{le=\"0.1\"} 3
deltabench_api_seconds_bucket{le=\"+Inf\"} 4
deltabench_api_seconds_sum 0.25
deltabench_api_seconds_count 4
# EOF
";
        let classic = to_classic(om);
        assert_eq!(
            classic,
            "\
# HELP deltabench_documents_accepted_total Signed documents newly stored.
# TYPE deltabench_documents_accepted_total counter
deltabench_documents_accepted_total 5
# HELP deltabench_documents_held Signed documents held \"now\".
# TYPE deltabench_documents_held gauge
deltabench_documents_held 7 1700000000500
# HELP deltabench_build_info Build.
# TYPE deltabench_build_info gauge
deltabench_build_info{version=\"0.1.0\"} 1
# TYPE deltabench_odd untyped
deltabench_odd{path=\"a } b\",x=\"q\\\"}\"} 2.5
# HELP deltabench_api_seconds API latency.
# TYPE deltabench_api_seconds histogram
deltabench_api_seconds_bucket{le=\"0.1\"} 3
deltabench_api_seconds_bucket{le=\"+Inf\"} 4
deltabench_api_seconds_sum 0.25
deltabench_api_seconds_count 4
"
        );
    }

    #[test]
    fn the_node_registry_converts_with_every_family_typed() {
        use prometheus_client::registry::Registry;
        let mut registry = Registry::default();
        let metrics = deltabench_node::Metrics::default();
        metrics.register(&mut registry);
        metrics.accepted.inc_by(3);
        let mut om = String::new();
        prometheus_client::encoding::text::encode(&mut om, &registry).unwrap();
        let classic = to_classic(&om);
        assert!(!classic.contains("# EOF"));
        assert!(classic.contains("# TYPE deltabench_documents_accepted_total counter\n"));
        assert!(classic.contains("\ndeltabench_documents_accepted_total 3\n"));
        // Every sample belongs to the family its TYPE line names.
        let mut family = String::new();
        for line in classic.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                family = rest.split(' ').next().unwrap().to_string();
            } else if !line.starts_with('#') {
                let name = line.split(['{', ' ']).next().unwrap();
                assert!(
                    name == family
                        || ["_bucket", "_sum", "_count"]
                            .iter()
                            .any(|s| name.strip_suffix(s) == Some(family.as_str())),
                    "{line} outside {family}"
                );
            }
        }
    }
}
