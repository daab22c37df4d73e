//! Random octets for secrets from the kernel's CSPRNG (getrandom(2)):
//! reconfigure keys must come from a cryptographically strong source
//! (RFC 8415 §20.4.1, C-176), which transaction-id generators need not be.

use std::io;

use crate::auth::{ReconfigureKey, KEY_LEN};

/// Fills `buf` with random octets. getrandom(2) without flags blocks only
/// until the kernel's pool is first initialised, so a key drawn at boot is
/// never predictable; a signal during that wait is retried.
pub fn fill(buf: &mut [u8]) -> io::Result<()> {
    let mut done = 0;
    while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
        // SAFETY: `rest` is a live, writable slice of `rest.len()` octets;
        // getrandom writes at most that many into it.
        #[allow(unsafe_code)]
        let n = unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) };
        match usize::try_from(n) {
            Ok(n) => done += n,
            Err(_) => {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

/// A fresh 128-bit reconfigure key (RFC 8415 §20.4.1; C-176).
pub fn reconfigure_key() -> io::Result<ReconfigureKey> {
    let mut key = [0u8; KEY_LEN];
    fill(&mut key)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// C-176: keys are 128 bits and differ between clients.
    #[test]
    fn c176_keys_are_random_and_distinct() {
        let keys: Vec<ReconfigureKey> = (0..64).map(|_| reconfigure_key().unwrap()).collect();
        for (i, a) in keys.iter().enumerate() {
            assert_eq!(a.len(), 16);
            assert!(keys[i + 1..].iter().all(|b| a != b), "repeated key");
        }
        // Across 64 keys every bit position takes both values.
        for bit in 0..128 {
            let ones = keys
                .iter()
                .filter(|k| k[bit / 8] >> (bit % 8) & 1 == 1)
                .count();
            assert!(ones > 0 && ones < 64, "bit {bit} stuck");
        }
        let mut big = vec![0u8; 100_000];
        fill(&mut big).unwrap();
        assert!(big.iter().filter(|&&b| b == 0).count() < 1_000);
    }
}
