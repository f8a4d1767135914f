//! A live page's body that can be set aside mid-check: before the check asks the site
//! about one of the page's links, the rest of the body is read to a temporary file, so the
//! page's own request is over (its `--timeout` is not spent waiting for the other request,
//! and no more than `--connections` requests are open), and the check goes on reading from
//! the file. Memory stays flat: the rest goes to disk, not to memory.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::sync::{Arc, Mutex};

use super::client::Body;

/// Where the rest of the body is read from.
enum Rest {
    /// Still the network.
    Network(Body),
    /// Set aside; the error the network gave after that, if it did, comes at its end.
    File(BufReader<File>, Option<io::Error>),
    /// The bytes set aside could not be read back: this error, once.
    Failed(Option<io::Error>),
}

/// The body, read by the check.
pub(crate) struct Spooled(Arc<Mutex<Rest>>);

/// Sets the rest of a [`Spooled`] body aside.
#[derive(Clone)]
pub(crate) struct SetAside(Arc<Mutex<Rest>>);

/// `body`, and what sets the rest of it aside.
pub(super) fn spooled(body: Body) -> (Spooled, SetAside) {
    let rest = Arc::new(Mutex::new(Rest::Network(body)));
    (Spooled(rest.clone()), SetAside(rest))
}

impl Read for Spooled {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut rest = self.0.lock().unwrap_or_else(|p| p.into_inner());
        match &mut *rest {
            Rest::Network(body) => body.read(buf),
            Rest::File(file, error) => match file.read(buf)? {
                0 => error.take().map_or(Ok(0), Err),
                n => Ok(n),
            },
            Rest::Failed(error) => error.take().map_or(Ok(0), Err),
        }
    }
}

impl SetAside {
    /// Reads what the network still has of the body to a temporary file (once; later calls
    /// do nothing). Without a temporary file (no writable directory), the body stays on the
    /// network: the question is asked all the same.
    pub(crate) fn now(&self) {
        let mut rest = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Rest::Network(body) = &mut *rest else {
            return;
        };
        let Ok(mut file) = tempfile::tempfile() else {
            return;
        };
        let error = io::copy(body, &mut file).err();
        *rest = match file.rewind() {
            Ok(()) => Rest::File(BufReader::new(file), error),
            Err(e) => Rest::Failed(Some(io::Error::new(
                e.kind(),
                format!("reading back the rest of the page, set aside to ask about its links: {e}"),
            ))),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes, then an error; counts what was read of it.
    struct CutShort(io::Cursor<Vec<u8>>, Arc<std::sync::atomic::AtomicUsize>);

    impl Read for CutShort {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            match self.0.read(buf)? {
                0 => Err(io::Error::new(io::ErrorKind::TimedOut, "timed out")),
                n => {
                    self.1.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                    Ok(n)
                }
            }
        }
    }

    #[test]
    fn the_rest_is_read_from_the_file_then_the_network_error() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(200_000).collect();
        let read = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let network = CutShort(io::Cursor::new(bytes.clone()), read.clone());
        let (mut body, aside) = spooled(Box::new(network));
        let mut first = vec![0; 1000];
        body.read_exact(&mut first).unwrap();
        aside.now();
        assert_eq!(
            read.load(std::sync::atomic::Ordering::Relaxed),
            bytes.len(),
            "the network is read to its end at once"
        );
        aside.now();
        let mut rest = Vec::new();
        let error = body.read_to_end(&mut rest).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        first.extend(rest);
        assert_eq!(first, bytes, "every byte, in order, once");
    }
}
