//! Pictures people look at (certificate cards, proof pages): SVG written by hand, with text
//! escaped, no scripts, no external resources (fonts are named, never fetched), and QR codes
//! drawn as one path of dark modules.

use std::fmt::Write;

/// Fonts a browser or phone will have for Chinese text; none is downloaded.
const FONTS: &str =
    "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif";

/// Where a text's x coordinate is.
#[derive(Debug, Clone, Copy)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// An SVG document being drawn, in user units of its view box.
pub struct Svg {
    out: String,
}

impl Svg {
    /// A document `width` × `height` user units, shown at `width_attr` × `height_attr`
    /// (e.g. "210mm"), with a title (what screen readers and browser tabs show).
    pub fn new(width: f32, height: f32, width_attr: &str, height_attr: &str, title: &str) -> Svg {
        let mut out = String::with_capacity(16 * 1024);
        let _ = write!(
            out,
            r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width_attr}" height="{height_attr}" viewBox="0 0 {width} {height}" font-family="{FONTS}"><title>{}</title>"#,
            escape(title)
        );
        Svg { out }
    }

    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, fill: &str, stroke: Option<&str>) {
        let stroke = stroke
            .map(|s| format!(r#" stroke="{s}" stroke-width="0.4""#))
            .unwrap_or_default();
        let _ = write!(
            self.out,
            r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}"{stroke}/>"#
        );
    }

    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, stroke: &str, width: f32) {
        let _ = write!(
            self.out,
            r#"<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{stroke}" stroke-width="{width}"/>"#
        );
    }

    /// One line of text (escaped); `bold` for headings.
    pub fn text(&mut self, x: f32, y: f32, size: f32, anchor: Anchor, bold: bool, text: &str) {
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let weight = if bold { r#" font-weight="bold""# } else { "" };
        let _ = write!(
            self.out,
            r##"<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}"{weight} fill="#1a1a1a">{}</text>"##,
            escape(text)
        );
    }

    /// A QR code of `data` (error correction M, 4-module quiet zone on white) in a square of
    /// `size` at (x, y). The dark modules are one `<path>` inside `<svg id="qr">` whose view
    /// box counts modules.
    pub fn qr(&mut self, x: f32, y: f32, size: f32, data: &str) {
        let code = match qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M) {
            Ok(code) => code,
            // Only data beyond a QR code's capacity fails; our addresses are short.
            Err(_) => return,
        };
        let n = code.width();
        let quiet = 4;
        let total = n + 2 * quiet;
        let mut path = String::with_capacity(n * n * 4);
        for (i, color) in code.to_colors().iter().enumerate() {
            if *color == qrcode::Color::Dark {
                let _ = write!(path, "M{} {}h1v1h-1z", i % n + quiet, i / n + quiet);
            }
        }
        let _ = write!(
            self.out,
            r##"<svg id="qr" x="{x}" y="{y}" width="{size}" height="{size}" viewBox="0 0 {total} {total}" shape-rendering="crispEdges"><rect width="{total}" height="{total}" fill="#ffffff"/><path fill="#000000" d="{path}"/></svg>"##
        );
    }

    pub fn finish(mut self) -> String {
        self.out.push_str("</svg>\n");
        self.out
    }
}

/// Text and attribute values as XML character data.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_control_characters_dropped() {
        assert_eq!(
            escape("<script>&\"'\u{1}x"),
            "&lt;script&gt;&amp;&quot;&apos;x"
        );
    }
}
