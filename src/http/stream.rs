//! A response body read from a blocking reader (a stored file) in chunks on the blocking thread
//! pool, so a large file is never held in memory and never blocks a worker thread.

use std::io::Read;

use actix_web::body::SizedStream;
use actix_web::web::{self, Bytes};
use futures_util::stream;

const CHUNK: usize = 64 * 1024;

/// `size` bytes from `reader`, as a body of exactly that length.
pub fn reader_body(
    reader: Box<dyn Read + Send>,
    size: u64,
) -> SizedStream<impl stream::Stream<Item = Result<Bytes, actix_web::Error>>> {
    let chunks = stream::try_unfold((reader, size), |(mut reader, left)| async move {
        if left == 0 {
            return Ok(None);
        }
        let want = CHUNK.min(usize::try_from(left).unwrap_or(CHUNK));
        let (reader, chunk) = web::block(move || {
            let mut buf = vec![0; want];
            let n = reader.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((reader, buf))
        })
        .await
        .map_err(actix_web::error::ErrorInternalServerError)?
        .map_err(actix_web::error::ErrorInternalServerError)?;
        if chunk.is_empty() {
            // The stored file is shorter than its recorded size: end the body short, and the
            // client sees a truncated response rather than a hang.
            return Err(actix_web::error::ErrorInternalServerError(
                "stored file shorter than recorded",
            ));
        }
        let read = chunk.len() as u64;
        Ok(Some((Bytes::from(chunk), (reader, left - read))))
    });
    SizedStream::new(size, chunks)
}

/// Bytes a blocking writer hands to a streaming response, in chunks of [`CHUNK`]; a write
/// fails (and the writer stops) once the client has gone.
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// What an export writes: CSV as it goes, or a workbook of one sheet.
pub enum Spreadsheet {
    Csv,
    Xlsx { sheet: &'static str },
}

/// The rows `job` writes on the blocking pool, as a spreadsheet response that streams while
/// they are written (at most a few chunks are ever in memory). A failure half-way aborts the
/// response, so a client never takes a cut file for a whole one; the cause is logged.
pub fn spreadsheet_response<F>(
    kind: Spreadsheet,
    file_stem: &str,
    headers: &'static [&'static str],
    job: F,
) -> actix_web::HttpResponse
where
    F: FnOnce(&mut dyn crate::tabular::RowSink) -> Result<(), crate::error::ApiError>
        + Send
        + 'static,
{
    use crate::tabular::{CsvSink, RowSink, XlsxSink};
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let (content_type, extension) = match kind {
        Spreadsheet::Csv => ("text/csv; charset=utf-8", "csv"),
        Spreadsheet::Xlsx { .. } => (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
    };
    actix_web::rt::task::spawn_blocking(move || {
        let mut out = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
        };
        let written = (|| -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
            match kind {
                Spreadsheet::Csv => {
                    let mut sink = CsvSink::new(&mut out, headers)?;
                    job(&mut sink).map_err(|e| format!("{e:?}"))?;
                    Box::new(sink).finish(&mut std::io::sink())?;
                }
                Spreadsheet::Xlsx { sheet } => {
                    let mut sink = XlsxSink::new(sheet, headers)?;
                    job(&mut sink).map_err(|e| format!("{e:?}"))?;
                    Box::new(sink).finish(&mut out)?;
                }
            }
            std::io::Write::flush(&mut out)?;
            Ok(())
        })();
        if let Err(e) = written {
            tracing::error!(error = %e, "export failed part way; the response is cut off");
            let _ = tx.blocking_send(Err(std::io::Error::other("export failed")));
        }
    });
    let body = stream::poll_fn(move |cx| rx.poll_recv(cx));
    actix_web::HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{file_stem}.{extension}\""),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body)
}
