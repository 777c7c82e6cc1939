//! The type of an upload, judged from its first bytes (its magic number) and nothing else: a
//! name or a declared type is the client's word, the content is the truth.

use crate::meta::enums::FileType;

/// The type these leading bytes begin, if it is one the platform accepts.
pub fn file_type(head: &[u8]) -> Option<FileType> {
    if head.starts_with(b"%PDF-") {
        Some(FileType::Pdf)
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(FileType::Jpeg)
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(FileType::Png)
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        Some(FileType::Webp)
    } else {
        None
    }
}

/// The usual extension of a type, for names the client did not give.
pub fn extension(kind: FileType) -> &'static str {
    match kind {
        FileType::Pdf => "pdf",
        FileType::Jpeg => "jpg",
        FileType::Png => "png",
        FileType::Webp => "webp",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_content() {
        assert_eq!(file_type(b"%PDF-1.7\n"), Some(FileType::Pdf));
        assert_eq!(
            file_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(FileType::Jpeg)
        );
        assert_eq!(
            file_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(FileType::Png)
        );
        assert_eq!(file_type(b"RIFF\x24\0\0\0WEBPVP8 "), Some(FileType::Webp));
        for refused in [
            &b"<html><script>alert(1)</script>"[..],
            b"RIFF\x24\0\0\0WAVEfmt ",
            b"GIF89a",
            b"%PD",
            b"",
        ] {
            assert_eq!(file_type(refused), None, "{refused:?}");
        }
    }
}
