//! Progress of long command-line work: a bar on a terminal (indicatif), and plain lines at
//! every tenth of the way when stderr is a log (CI), where a bar would be a mess of escapes.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

pub enum Progress {
    Bar(ProgressBar),
    Lines {
        label: &'static str,
        total: u64,
        reported: u64,
    },
}

impl Progress {
    pub fn new(label: &'static str, total: u64) -> Progress {
        if std::io::stderr().is_terminal() {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:>16} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(label);
            Progress::Bar(bar)
        } else {
            eprintln!("{label}: 0/{total}");
            Progress::Lines {
                label,
                total,
                reported: 0,
            }
        }
    }

    pub fn set(&mut self, done: u64) {
        match self {
            Progress::Bar(bar) => bar.set_position(done),
            Progress::Lines {
                label,
                total,
                reported,
            } => {
                let step = (*total / 10).max(1);
                if done >= *reported + step || (done == *total && *reported < *total) {
                    *reported = done;
                    eprintln!("{label}: {done}/{total}");
                }
            }
        }
    }

    pub fn finish(self) {
        if let Progress::Bar(bar) = self {
            bar.finish();
        }
    }
}
