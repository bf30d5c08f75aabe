#![allow(dead_code, reason = "each test crate uses only some of the shared helpers")]
pub mod cli;
pub mod coldsweat;
pub mod pty;
pub mod server;
pub mod ttrss;

/// sled lets go of its lock from a background thread a moment after a close (later when
/// other tests keep its thread pool busy), so an open in the same process right after a
/// close can find it still held. This waits for sled; it asserts nothing about time.
pub fn when_released<T>(
    f: impl Fn() -> Result<T, tidings::store::StoreError>,
) -> Result<T, tidings::store::StoreError> {
    for _ in 0..400 {
        match f() {
            Err(tidings::store::StoreError::Locked(_)) => {
                std::thread::sleep(std::time::Duration::from_millis(25));
            }
            other => return other,
        }
    }
    f()
}
