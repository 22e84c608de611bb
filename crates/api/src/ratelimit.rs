//! The rate limit on residents' ratings: each client address may send at
//! most `ratings_per_minute` rating requests a minute (as a burst of that
//! size, refilled evenly over the minute), whatever their outcome, so that
//! nobody can try codes at speed. Over it, the answer is 429 with
//! `Retry-After`.
//!
//! The address is the connection's peer address, or, when the node sits
//! behind a reverse proxy that it trusts (`[public] client_address =
//! "x-forwarded-for"`), the last address in `X-Forwarded-For`, the one that
//! proxy appended. IPv6 clients are counted per /64, the block one
//! subscriber usually holds.

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

/// Where the client's address is read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClientAddress {
    /// The TCP connection's peer.
    #[default]
    Connection,
    /// The last entry of `X-Forwarded-For`, set by a trusted reverse proxy;
    /// the connection's peer when the header is missing or unreadable.
    ForwardedFor,
}

/// Entries of idle addresses are dropped after this many checks.
const SWEEP_EVERY: u64 = 4096;

/// The per-address limiter of rating requests.
pub struct RatingLimiter {
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    source: ClientAddress,
    checks: AtomicU64,
}

impl RatingLimiter {
    /// A limiter allowing `per_minute` requests a minute per address; 0
    /// turns the limit off.
    pub fn new(per_minute: u32, source: ClientAddress) -> Self {
        Self {
            limiter: NonZeroU32::new(per_minute)
                .map(|n| RateLimiter::keyed(Quota::per_minute(n).allow_burst(n))),
            source,
            checks: AtomicU64::new(0),
        }
    }

    /// The address a request is counted against.
    pub fn client(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> IpAddr {
        let forwarded = match self.source {
            ClientAddress::Connection => None,
            ClientAddress::ForwardedFor => headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse::<IpAddr>().ok())
                .next_back(),
        };
        let ip = forwarded
            .or(peer.map(|p| p.ip()))
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        match ip {
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let s = v6.segments();
                    IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
                }
            },
            v4 => v4,
        }
    }

    /// Counts one request from `client`: `Ok` when it may proceed, or the
    /// whole seconds to wait before the next one would be allowed.
    pub fn check(&self, client: IpAddr) -> Result<(), u64> {
        let Some(limiter) = &self.limiter else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn peer(s: &str) -> Option<SocketAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn each_address_has_its_own_allowance() {
        let l = RatingLimiter::new(3, ClientAddress::Connection);
        let a = l.client(peer("10.0.0.1:5000"), &HeaderMap::new());
        let b = l.client(peer("10.0.0.2:5000"), &HeaderMap::new());
        for _ in 0..3 {
            assert_eq!(l.check(a), Ok(()));
        }
        let wait = l.check(a).unwrap_err();
        // One request's worth refills in 20 s.
        assert!((1..=20).contains(&wait), "{wait}");
        assert_eq!(l.check(b), Ok(()));
    }

    #[test]
    fn zero_turns_the_limit_off() {
        let l = RatingLimiter::new(0, ClientAddress::Connection);
        let a = l.client(None, &HeaderMap::new());
        for _ in 0..1000 {
            assert_eq!(l.check(a), Ok(()));
        }
    }

    #[test]
    fn the_address_comes_from_the_trusted_proxy_only_when_configured() {
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            HeaderValue::from_static("1.2.3.4, 203.0.113.9"),
        );
        let direct = RatingLimiter::new(5, ClientAddress::Connection);
        let proxied = RatingLimiter::new(5, ClientAddress::ForwardedFor);
        let p = peer("127.0.0.1:9000");
        assert_eq!(direct.client(p, &h).to_string(), "127.0.0.1");
        // The proxy appended the last entry; earlier ones the client wrote.
        assert_eq!(proxied.client(p, &h).to_string(), "203.0.113.9");
        assert_eq!(
            proxied.client(p, &HeaderMap::new()).to_string(),
            "127.0.0.1"
        );
        // IPv6 clients count per /64; mapped IPv4 as IPv4.
        let v6 = direct.client(peer("[2001:db8:1:2:aaaa::1]:80"), &h);
        assert_eq!(v6.to_string(), "2001:db8:1:2::");
        let mapped = direct.client(peer("[::ffff:10.1.2.3]:80"), &h);
        assert_eq!(mapped.to_string(), "10.1.2.3");
    }
}
