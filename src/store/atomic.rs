//! Atomic, durable outputs: temp file in the same folder → write → fsync → rename → fsync the
//! folder, so a reader or a crash sees either the old file or the new one, never a mix. Files
//! are created with mode 0600 on Unix. [`write_atomic`] writes a whole file at once (every save
//! of the interviewer); [`AtomicFile`] is written in pieces (a merge's large outputs). Both use
//! the same temp name and the same last step.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically and durably, with mode 0600 on Unix.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
        let mut f = private_file(&tmp, false)?;
        f.write_all(bytes)?;
        put_in_place(f, &tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A file written atomically in several pieces: temp file → write → fsync → rename → fsync(dir).
/// Dropped without [`AtomicFile::commit_as`], it leaves nothing behind.
#[derive(Debug)]
pub(crate) struct AtomicFile {
    tmp: PathBuf,
    w: Option<BufWriter<File>>,
}

impl AtomicFile {
    /// Starts writing a temp file beside `path` (mode 0600 on Unix).
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let tmp = temp_path(path);
        let f = private_file(&tmp, true)?;
        Ok(AtomicFile {
            tmp,
            w: Some(BufWriter::with_capacity(1 << 20, f)),
        })
    }

    /// Appends bytes.
    pub fn write(&mut self, b: &[u8]) -> io::Result<()> {
        let w = self.w.as_mut().ok_or_else(|| io::Error::other("already committed"))?;
        w.write_all(b)?;
        Ok(())
    }

    /// Appends a large block, bypassing the buffer.
    pub(crate) fn write_direct(&mut self, b: &[u8]) -> io::Result<()> {
        let w = self.w.as_mut().ok_or_else(|| io::Error::other("already committed"))?;
        w.flush()?;
        w.get_mut().write_all(b)?;
        Ok(())
    }

    /// Appends several blocks with as few system calls as possible and without copying them
    /// into the buffer.
    pub(crate) fn write_blocks(&mut self, blocks: &[&[u8]]) -> io::Result<()> {
        let w = self.w.as_mut().ok_or_else(|| io::Error::other("already committed"))?;
        w.flush()?;
        let f = w.get_mut();
        let mut slices: Vec<io::IoSlice<'_>> = blocks.iter().map(|b| io::IoSlice::new(b)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match f.write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => io::IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Writes out the buffer, so that everything written so far can be read back from
    /// [`AtomicFile::file`].
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.as_mut().map_or(Ok(()), |w| w.flush())
    }

    /// The temp file (for positioned reads of what was written and flushed).
    ///
    /// # Panics
    /// After [`AtomicFile::commit_as`] (which takes the file by value, so never in safe use).
    pub fn file(&self) -> &File {
        self.w.as_ref().map(|w| w.get_ref()).expect("an uncommitted file")
    }

    /// Makes the file durable under its temp name, to be put in place as `path` (in the same
    /// folder) by [`put_all`] once every output of the work is written.
    pub(crate) fn stage_as(mut self, path: &Path) -> io::Result<Staged> {
        let w = self.w.take().ok_or_else(|| io::Error::other("already committed"))?;
        let staged = Staged {
            tmp: self.tmp.clone(),
            path: path.to_path_buf(),
            placed: false,
            synced: true,
        };
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        Ok(staged)
    }
}

/// A complete, durable output under its temp name, waiting for [`put_all`]. Dropped without
/// it (the work failed), the temp file is removed: nothing is left behind.
#[derive(Debug)]
pub(crate) struct Staged {
    tmp: PathBuf,
    path: PathBuf,
    placed: bool,
    /// Whether the temp file is durable already ([`stage`] leaves that to [`put_all`], which
    /// syncs many small files at once).
    synced: bool,
}

impl Staged {
    /// Where it will be put.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The same output encrypted to `to` (an age file), staged as `<path>.age`; this plaintext
    /// temp file is removed. Streams: a large data set is not held in memory.
    pub(crate) fn sealed(self, to: &crate::seal::Recipients) -> io::Result<Staged> {
        let mut name = self.path.clone().into_os_string();
        name.push(".age");
        let path = PathBuf::from(name);
        let mut out = AtomicFile::create(&path)?;
        {
            let mut w = crate::seal::Sealer::new(Writer(&mut out), to)?;
            io::copy(
                &mut io::BufReader::with_capacity(1 << 20, fs::File::open(&self.tmp)?),
                &mut w,
            )?;
            w.finish()?;
        }
        out.stage_as(&path)
    }
}

/// An [`AtomicFile`] as an `io::Write`.
struct Writer<'a>(&'a mut AtomicFile);

impl io::Write for Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.placed {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Writes `bytes` to a temp file beside `path`, to be made durable and put in place by
/// [`put_all`] (mode 0600 on Unix). On an error, nothing is left.
pub(crate) fn stage(path: &Path, bytes: &[u8]) -> io::Result<Staged> {
    let staged = Staged {
        tmp: temp_path(path),
        path: path.to_path_buf(),
        placed: false,
        synced: false,
    };
    let mut f = private_file(&staged.tmp, false)?;
    f.write_all(bytes)?;
    Ok(staged)
}

/// Makes staged files durable, several at once (a file system commits concurrent fsyncs
/// together: thousands of small files cost a few commits, not one each).
fn sync_staged(staged: &[Staged]) -> Result<(), (PathBuf, io::Error)> {
    const THREADS: usize = 16;
    let todo: Vec<&Staged> = staged.iter().filter(|s| !s.synced).collect();
    if todo.is_empty() {
        return Ok(());
    }
    let per = todo.len().div_ceil(THREADS);
    std::thread::scope(|scope| {
        let handles: Vec<_> = todo
            .chunks(per)
            .map(|chunk| {
                scope.spawn(move || {
                    for s in chunk {
                        reopen_to_sync(&s.tmp)
                            .and_then(|f| f.sync_all())
                            .map_err(|e| (s.path.clone(), e))?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| {
            h.join()
                .unwrap_or_else(|_| Err((PathBuf::new(), io::Error::other("sync thread failed"))))
        })
    })
}

/// Makes staged outputs durable, puts them in place in the order given (renames: no space is
/// needed), then makes the renames durable (one fsync per folder). The first error names its
/// file; before the renames, an error leaves every previous output as it was.
pub(crate) fn put_all(staged: Vec<Staged>) -> Result<(), (PathBuf, io::Error)> {
    sync_staged(&staged)?;
    // Windows will not replace a file that another program holds open without sharing its
    // deletion (Excel with a CSV): found out before the first rename, so that the outputs stay
    // all old rather than half new.
    for s in &staged {
        replaceable(&s.path).map_err(|e| (s.path.clone(), e))?;
    }
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut asides = Vec::new();
    for mut s in staged {
        asides.extend(replace(&s.tmp, &s.path).map_err(|e| (s.path.clone(), e))?);
        s.placed = true;
        let d = folder(&s.path).to_path_buf();
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    for d in dirs {
        sync_dir(&d).map_err(|e| (d.clone(), e))?;
    }
    for a in asides {
        let _ = fs::remove_file(a);
    }
    Ok(())
}

/// Puts the file `tmp` in place as `path` (a rename). Where Windows renames without POSIX
/// semantics (FAT and exFAT USB sticks, Windows before 10, wine), it refuses to rename onto a
/// file that another program has open, even one that shares its deletion, yet lets that file
/// be renamed: then the old file is first moved aside (`.<name>.<pid>.old`, hidden like a temp
/// file) and the path handed back, for the caller to remove once the new file is in place.
/// Only after a plain rename failed, so the short moment without a file at `path` exists only
/// there. Elsewhere a plain rename.
fn replace(tmp: &Path, path: &Path) -> io::Result<Option<PathBuf>> {
    let Err(e) = fs::rename(tmp, path) else {
        return Ok(None);
    };
    if !cfg!(windows) || e.kind() != io::ErrorKind::PermissionDenied {
        return Err(e);
    }
    let aside = temp_path(path).with_extension("old");
    fs::rename(path, &aside).map_err(|_| e)?;
    if let Err(e) = fs::rename(tmp, path) {
        let _ = fs::rename(&aside, path);
        return Err(e);
    }
    Ok(Some(aside))
}

/// Whether `path` (if it exists) can be replaced: on Windows, whether it can be opened for
/// deletion while others have it open (a program that holds it open without sharing deletion
/// prevents that, and the replace). Elsewhere always.
fn replaceable(path: &Path) -> io::Result<()> {
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        const DELETE: u32 = 0x0001_0000;
        const SHARE_ALL: u32 = 0x7; // read, write, delete
        match fs::OpenOptions::new()
            .access_mode(DELETE)
            .share_mode(SHARE_ALL)
            .open(path)
        {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    let _ = path;
    Ok(())
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.w.is_some() {
            self.w = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// The folder a path is in (`.` for a bare name).
fn folder(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `.<name>.<pid>.tmp` beside `path`: hidden, and never shared by two processes.
fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // A name near the file system's limit gets a shorter temp name (its hash).
    let name = crate::file_names::bounded(&name, "");
    folder(path).join(format!(".{name}.{}.tmp", std::process::id()))
}

/// A new (or truncated) file for writing, mode 0600 on Unix; readable too if `read`.
fn private_file(path: &Path, read: bool) -> io::Result<File> {
    let mut opts = fs::OpenOptions::new();
    opts.read(read).write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// The last step: fsync the temp file, rename it to `path`, fsync the folder. On a failed
/// rename the temp file is removed.
fn put_in_place(f: File, tmp: &Path, path: &Path) -> io::Result<()> {
    f.sync_all()?;
    drop(f);
    let aside = match replace(tmp, path) {
        Ok(aside) => aside,
        Err(e) => {
            let _ = fs::remove_file(tmp);
            return Err(e);
        }
    };
    let synced = sync_dir(folder(path));
    if let Some(a) = aside {
        let _ = fs::remove_file(a);
    }
    synced
}

/// Opens a written file again to make it durable. Windows flushes only through a handle with
/// write access (`FlushFileBuffers` on a read-only one is "access denied": every merge that
/// staged a small output failed there); Unix syncs through any descriptor.
fn reopen_to_sync(path: &Path) -> io::Result<File> {
    if cfg!(windows) {
        fs::OpenOptions::new().write(true).open(path)
    } else {
        File::open(path)
    }
}

/// fsyncs a directory so that a rename in it is durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}
