//! Compressed files: `.gz` and `.zst` are read and written by extension, so a
//! corpus can stay compressed on disk end to end. Any other input (standard
//! input too) is decompressed when it starts with gzip or zstd magic bytes.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;

/// How a file's bytes are stored, decided by its name. A name without these
/// extensions is read by [`sniff`]: text never starts with gzip's `1f 8b`
/// (`8b` is no UTF-8 lead byte) or zstd's `28 b5 2f fd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// Not compressed.
    Plain,
    /// Gzip (`.gz`).
    Gzip,
    /// Zstd (`.zst`).
    Zstd,
}

impl Codec {
    /// The codec for a path: by its last extension (`.gz`, `.zst`).
    pub fn of(path: &Path) -> Codec {
        match path.extension().and_then(|e| e.to_str()) {
            Some("gz") => Codec::Gzip,
            Some("zst") => Codec::Zstd,
            _ => Codec::Plain,
        }
    }
}

/// Opens a file for reading, decompressing by extension.
///
/// # Errors
///
/// The file cannot be opened, or is a directory (or a dangling link, said
/// so); reads fail later, saying so, when compressed data is corrupt.
pub fn open(path: &Path) -> io::Result<Box<dyn Read + Send>> {
    let file = File::open(path).map_err(|e| {
        if e.kind() == io::ErrorKind::NotFound
            && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink())
        {
            io::Error::new(
                e.kind(),
                "dangling symbolic link: its target does not exist",
            )
        } else {
            e
        }
    })?;
    // Opening a directory succeeds on Unix; reading it fails later with a
    // less clear message, so refuse it here.
    if file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory, not a file (use -r DIR -o OUT to clean a tree)",
        ));
    }
    Ok(match Codec::of(path) {
        Codec::Plain => Box::new(sniff(file)?),
        // Multi-member: `cat a.gz b.gz > c.gz` is a valid gzip stream, and
        // a plain decoder would silently stop after `a`.
        Codec::Gzip => Box::new(Decoding {
            inner: MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, file)),
            format: "gzip",
        }),
        Codec::Zstd => Box::new(Decoding {
            inner: zstd::Decoder::new(file)?,
            format: "zstd",
        }),
    })
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// A stream with the bytes [`sniff`] read from its start put back.
pub type Rejoined<R> = io::Chain<io::Cursor<Vec<u8>>, R>;

/// A stream read as it came, or decompressed: see [`sniff`].
pub enum Sniffed<R: Read> {
    /// Not compressed: read as it came.
    Plain(Rejoined<R>),
    /// Gzip magic bytes: decompressed.
    Gzip(Decoding<MultiGzDecoder<BufReader<Rejoined<R>>>>),
    /// Zstd magic bytes: decompressed.
    Zstd(Decoding<zstd::Decoder<'static, BufReader<Rejoined<R>>>>),
}

/// Reads `input` decompressed when it starts with gzip (`1f 8b`) or zstd
/// (`28 b5 2f fd`) magic bytes, as it came otherwise. For standard input
/// and files named without `.gz` or `.zst`.
pub fn sniff<R: Read>(mut input: R) -> io::Result<Sniffed<R>> {
    let mut head = vec![0; ZSTD_MAGIC.len()];
    let mut got = 0;
    while got < head.len() {
        match input.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    let is_gzip = head.starts_with(GZIP_MAGIC);
    let is_zstd = head.starts_with(ZSTD_MAGIC);
    let whole = io::Cursor::new(head).chain(input);
    Ok(if is_gzip {
        Sniffed::Gzip(Decoding {
            inner: MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, whole)),
            format: "gzip",
        })
    } else if is_zstd {
        Sniffed::Zstd(Decoding {
            inner: zstd::Decoder::with_buffer(BufReader::with_capacity(256 * 1024, whole))?,
            format: "zstd",
        })
    } else {
        Sniffed::Plain(whole)
    })
}

impl<R: Read> Read for Sniffed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Sniffed::Plain(r) => r.read(buf),
            Sniffed::Gzip(r) => r.read(buf),
            Sniffed::Zstd(r) => r.read(buf),
        }
    }
}

/// A decompressor whose own errors say what they are about: the decoders
/// report a truncated or foreign file as "unexpected end of file" or
/// "incomplete frame", which reads like a failing disk.
pub struct Decoding<R> {
    inner: R,
    format: &'static str,
}

impl<R: Read> Read for Decoding<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.raw_os_error().is_some() || e.kind() == io::ErrorKind::Interrupted {
                // The file system's error, passed through the decoder.
                return e;
            }
            io::Error::new(
                e.kind(),
                format!(
                    "not valid {} data ({e}): the file is cut short, corrupt, or not \
                     compressed this way",
                    self.format
                ),
            )
        })
    }
}

/// A file being written, compressed by the extension of its final name.
/// [`Sink::finish`] must be called: it writes the compressed trailer and
/// reports the errors a drop would hide.
pub enum Sink {
    /// Written as it comes.
    Plain(BufWriter<File>),
    /// Gzip-compressed (`.gz`).
    Gzip(GzEncoder<BufWriter<File>>),
    /// Zstd-compressed (`.zst`).
    Zstd(zstd::Encoder<'static, BufWriter<File>>),
}

impl Sink {
    /// Wraps `file` for writing data that will end up under `name`.
    pub fn new(file: File, name: &Path) -> io::Result<Sink> {
        let file = BufWriter::with_capacity(256 * 1024, file);
        Ok(match Codec::of(name) {
            Codec::Plain => Sink::Plain(file),
            Codec::Gzip => Sink::Gzip(GzEncoder::new(file, flate2::Compression::default())),
            Codec::Zstd => Sink::Zstd(zstd::Encoder::new(file, 0)?),
        })
    }

    /// Ends the compressed stream and flushes everything to the file.
    pub fn finish(self) -> io::Result<File> {
        let buffered = match self {
            Sink::Plain(w) => w,
            Sink::Gzip(w) => w.finish()?,
            Sink::Zstd(w) => w.finish()?,
        };
        buffered.into_inner().map_err(|e| e.into_error())
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gzip(w) => w.write(buf),
            Sink::Zstd(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(buf),
            Sink::Gzip(w) => w.write_all(buf),
            Sink::Zstd(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
            Sink::Zstd(w) => w.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_by_last_extension() {
        assert_eq!(Codec::of(Path::new("a/b.txt.gz")), Codec::Gzip);
        assert_eq!(Codec::of(Path::new("b.jsonl.zst")), Codec::Zstd);
        assert_eq!(Codec::of(Path::new("b.gz.txt")), Codec::Plain);
        assert_eq!(Codec::of(Path::new("gz")), Codec::Plain);
    }

    #[test]
    fn round_trip_every_codec() {
        let dir = tempfile::tempdir().unwrap();
        let data = b"line one\n\x0c\nline two\xff\n".repeat(1000);
        for name in ["x.txt", "x.txt.gz", "x.txt.zst"] {
            let path = dir.path().join(name);
            let mut sink = Sink::new(File::create(&path).unwrap(), &path).unwrap();
            sink.write_all(&data).unwrap();
            sink.finish().unwrap();
            let stored = std::fs::read(&path).unwrap();
            assert_eq!(stored == data, name == "x.txt", "{name} stored compressed");
            let mut back = Vec::new();
            open(&path).unwrap().read_to_end(&mut back).unwrap();
            assert_eq!(back, data, "{name}");
        }
    }

    #[test]
    fn compressed_bytes_are_recognised_by_their_magic_whatever_the_name() {
        let data = b"line one\n\x0c\nline two\xff\n".repeat(100);
        let gz = {
            let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(&data).unwrap();
            e.finish().unwrap()
        };
        let zst = zstd::encode_all(&data[..], 0).unwrap();
        for (name, bytes) in [("gzip", &gz), ("zstd", &zst), ("plain", &data)] {
            // One byte per read: the magic bytes arrive in pieces.
            let mut back = Vec::new();
            sniff(crate::document::tests::Chunked(bytes, 1))
                .unwrap()
                .read_to_end(&mut back)
                .unwrap();
            assert_eq!(back, data, "{name}");
        }
        for short in [&b""[..], b"\x1f", b"(\xb5/"] {
            let mut back = Vec::new();
            sniff(short).unwrap().read_to_end(&mut back).unwrap();
            assert_eq!(back, short, "too short to be compressed: as it came");
        }
    }

    #[test]
    fn concatenated_gzip_members_are_read_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gz");
        let mut bytes = Vec::new();
        for part in [&b"first\n"[..], b"second\n"] {
            let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(part).unwrap();
            bytes.extend(e.finish().unwrap());
        }
        std::fs::write(&path, bytes).unwrap();
        let mut back = Vec::new();
        open(&path).unwrap().read_to_end(&mut back).unwrap();
        assert_eq!(back, b"first\nsecond\n");
    }
}
