//! The SSRF guard: webhooks go to public addresses only (unless
//! `ZHIYUAN_WEBHOOK_ALLOW_PRIVATE`). A URL is checked when a subscription is made, and again
//! at every delivery by the resolver the HTTP client dials through, so the addresses checked
//! are the addresses connected to (a name that resolves elsewhere later, DNS rebinding,
//! changes nothing). URLs with an address instead of a name are checked before the request,
//! since the client does not resolve them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether an address is one a webhook must not reach: loopback, private, link-local,
/// shared (CGNAT), unspecified, documentation, benchmarking, multicast or reserved.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return forbidden_v4(v4);
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || v6.segments()[..6] == [0x64, 0xff9b, 0, 0, 0, 0] // NAT64 of any v4
                || v6 == Ipv6Addr::new(0, 0, 0, 0, 0, 0, 0, 0)
        }
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240 // reserved
}

/// Why a URL is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not an absolute `http` or `https` URL with a host.
    Malformed,
    /// Its host is, or resolves to, an address a webhook must not reach.
    Private,
    /// Its host name does not resolve.
    Unresolvable,
}

/// Checks a subscription's URL: its form, and where its host resolves to now. Blocks on DNS:
/// call it where blocking is allowed (the database's threads).
pub fn check_url(url: &str, allow_private: bool) -> Result<(), Refusal> {
    use std::net::ToSocketAddrs;
    let parsed = reqwest::Url::parse(url).map_err(|_| Refusal::Malformed)?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.host_str().is_none_or(str::is_empty)
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(Refusal::Malformed);
    }
    if allow_private {
        return Ok(());
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(url::Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(url::Host::Domain(name)) => (name, port)
            .to_socket_addrs()
            .map_err(|_| Refusal::Unresolvable)?
            .collect(),
        None => return Err(Refusal::Malformed),
    };
    if addrs.is_empty() {
        return Err(Refusal::Unresolvable);
    }
    if addrs.iter().any(|a| is_forbidden(a.ip())) {
        return Err(Refusal::Private);
    }
    Ok(())
}

/// Whether a URL names an address literal a webhook must not reach (the resolver never sees
/// those).
pub fn literal_is_forbidden(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => is_forbidden(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_forbidden(IpAddr::V6(ip)),
        _ => false,
    }
}

/// The resolver of the delivering client: a name resolving to any forbidden address is an
/// error (the delivery fails with it), so no connection to such an address is ever made.
pub struct GuardedResolver;

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if addrs.iter().any(|a| is_forbidden(a.ip())) {
                return Err(format!("{} resolves to a private address", name.as_str()).into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::7f00:1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "203.119.1.1", "2400:3200::1", "::ffff:8.8.8.8"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn urls_are_checked_for_form_and_address() {
        assert_eq!(
            check_url("ftp://example.com/", false),
            Err(Refusal::Malformed)
        );
        assert_eq!(check_url("not a url", false), Err(Refusal::Malformed));
        assert_eq!(
            check_url("https://user:pw@example.com/", false),
            Err(Refusal::Malformed)
        );
        assert_eq!(
            check_url("http://127.0.0.1:9/hook", false),
            Err(Refusal::Private)
        );
        assert_eq!(check_url("http://[::1]/hook", false), Err(Refusal::Private));
        assert_eq!(
            check_url("http://localhost/hook", false),
            Err(Refusal::Private)
        );
        assert_eq!(check_url("http://127.0.0.1:9/hook", true), Ok(()));
        assert_eq!(check_url("https://203.119.1.1/hook", false), Ok(()));
    }
}
