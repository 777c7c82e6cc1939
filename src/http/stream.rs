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
