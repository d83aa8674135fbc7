//! The outbound guard: every server-side request to a URL an operator gave us (webhooks, blocklist
//! APIs, later image URLs and logos) goes only to public addresses, so an operator cannot make the
//! product reach its own metadata service, loopback or private network (SSRF).
//!
//! How: http and https only; an IP literal host (in any spelling the URL standard accepts —
//! decimal, hex, octal, IPv4-mapped IPv6 — which the `url` parser normalises first) is checked
//! as it is; a host name is resolved by [`GuardedResolver`], which the HTTP client uses for every
//! connection, and refused if *any* address it resolves to is forbidden, so the connection can
//! only go to an address that was checked (no second resolution). Redirects are never followed.
//! `SMARTENROLL_ALLOW_PRIVATE_TARGETS=1` lifts the address rule for deployments whose receivers
//! are on a private network (and for tests with a receiver on 127.0.0.1); schemes stay checked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

pub const ALLOW_PRIVATE_ENV: &str = "SMARTENROLL_ALLOW_PRIVATE_TARGETS";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    pub allow_private: bool,
}

impl OutboundPolicy {
    pub fn from_env() -> Self {
        Self { allow_private: std::env::var(ALLOW_PRIVATE_ENV).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true")) }
    }
}

/// Why an IPv4 address is not a public destination, if it is not.
fn forbidden_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    Some(match o {
        [0, ..] => "this-network address (0.0.0.0/8)",
        [127, ..] => "loopback address",
        [10, ..] | [172, 16..=31, ..] | [192, 168, ..] => "private address",
        [169, 254, ..] => "link-local address (including the cloud metadata service)",
        [100, 64..=127, ..] => "shared address space (100.64.0.0/10)",
        [192, 0, 0, _] => "IETF protocol address (192.0.0.0/24)",
        [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _] => "documentation address",
        [198, 18..=19, ..] => "benchmarking address",
        [224..=239, ..] => "multicast address",
        [240..=255, ..] => "reserved or broadcast address",
        _ => return None,
    })
}

/// Why an address is not a public destination, if it is not. IPv6 forms that carry an IPv4
/// address (mapped, compatible, NAT64, 6to4) are judged by that IPv4 address.
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified address");
    }
    if ip.is_loopback() {
        return Some("loopback address");
    }
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let embedded = |a: u16, b: u16| Ipv4Addr::new((a >> 8) as u8, a as u8, (b >> 8) as u8, b as u8);
    if s[..6] == [0, 0, 0, 0, 0, 0] {
        // IPv4-compatible (deprecated): ::a.b.c.d
        return forbidden_v4(embedded(s[6], s[7])).or(Some("IPv4-compatible address"));
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return forbidden_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return forbidden_v4(embedded(s[1], s[2]));
    }
    Some(match s[0] {
        0xfc00..=0xfdff => "unique-local address",
        0xfe80..=0xfebf => "link-local address",
        0xfec0..=0xfeff => "site-local address",
        0xff00..=0xffff => "multicast address",
        0x2001 if s[1] == 0 => "Teredo address",
        0x2001 if s[1] == 0x0db8 => "documentation address",
        0x0100 if s[1..4] == [0, 0, 0] => "discard-only address",
        _ => return None,
    })
}

/// A refused destination; its text names the rule, never more of the URL than its host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Refusal {}

/// The checks that need no name resolution: scheme, and the host if it is an IP literal.
pub fn check_url(url: &url::Url, policy: OutboundPolicy) -> Result<(), Refusal> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refusal(format!("the {} scheme is not allowed; use http or https", url.scheme())));
    }
    let ip = match url.host() {
        None => return Err(Refusal("the URL has no host".into())),
        Some(url::Host::Domain(_)) => return Ok(()),
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    match forbidden(ip) {
        Some(why) if !policy.allow_private => Err(Refusal(format!("{ip} is a {why}"))),
        _ => Ok(()),
    }
}

/// Resolves `host` and checks every address it has (what the resolver does, and what saving a
/// URL does). A name that does not resolve is reported as such.
pub async fn resolve_checked(host: &str, port: u16, policy: OutboundPolicy) -> Result<Vec<SocketAddr>, Refusal> {
    let addrs: Vec<SocketAddr> =
        tokio::net::lookup_host((host, port)).await.map_err(|_| Refusal(format!("{host} does not resolve")))?.collect();
    if addrs.is_empty() {
        return Err(Refusal(format!("{host} does not resolve")));
    }
    if !policy.allow_private {
        for a in &addrs {
            if let Some(why) = forbidden(a.ip()) {
                return Err(Refusal(format!("{host} resolves to {}, a {why}", a.ip())));
            }
        }
    }
    Ok(addrs)
}

/// Save-time check of an operator's URL: scheme, literal address and, for a host name that
/// resolves now, every address. A name that does not resolve yet is accepted (it is checked
/// again at every send).
pub async fn check_on_save(raw: &str, policy: OutboundPolicy) -> Result<(), Refusal> {
    let url = url::Url::parse(raw).map_err(|_| Refusal("not a URL".into()))?;
    check_url(&url, policy)?;
    if let Some(url::Host::Domain(host)) = url.host() {
        match resolve_checked(host, url.port_or_known_default().unwrap_or(443), policy).await {
            Err(r) if !r.0.ends_with("does not resolve") => return Err(r),
            _ => {}
        }
    }
    Ok(())
}

/// The HTTP client's resolver: every address of every name is checked before it is connected to.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver(pub OutboundPolicy);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0;
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs = resolve_checked(&host, 0, policy).await.map_err(|r| Box::new(r) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// An HTTP client for operator-supplied URLs: guarded resolution, no redirects, no proxy from the
/// environment (a proxy would resolve names itself), `timeout` per request.
pub fn client(policy: OutboundPolicy, timeout: std::time::Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .dns_resolver(Arc::new(GuardedResolver(policy)))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(timeout)
        .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
        .user_agent(concat!("SmartEnroll-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

/// The guard's refusal somewhere in a request error's causes, if that is why it failed.
pub fn refusal_in(e: &reqwest::Error) -> Option<Refusal> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<Refusal>() {
            return Some(r.clone());
        }
        source = s.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        check_url(&url::Url::parse(url).expect("url"), OutboundPolicy::default()).is_err()
    }

    #[test]
    fn every_forbidden_ipv4_range_is_refused_and_public_addresses_pass() {
        for ip in [
            "0.0.0.0",
            "127.0.0.1",
            "127.255.255.254",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.51.100.7",
            "203.0.113.9",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
        ] {
            assert!(forbidden(ip.parse().expect("ip")).is_some(), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "100.128.0.1", "52.94.236.248"] {
            assert_eq!(forbidden(ip.parse().expect("ip")), None, "{ip}");
        }
    }

    #[test]
    fn ipv6_forms_are_refused_including_those_that_carry_ipv4() {
        for ip in [
            "::",
            "::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001:0:4136:e378::1",
            "100::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
        ] {
            assert!(forbidden(ip.parse().expect("ip")).is_some(), "{ip}");
        }
        for ip in ["2606:4700:4700::1111", "2a00:1450:4001:81b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"] {
            assert_eq!(forbidden(ip.parse().expect("ip")), None, "{ip}");
        }
    }

    #[test]
    fn literal_hosts_in_every_spelling_are_refused() {
        for url in [
            "http://127.0.0.1/x",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0x7f.0.0.1/",
            "http://0177.0.0.1/",
            "http://127.1/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00::1]:8080/",
            "https://10.1.2.3/hook",
        ] {
            assert!(refused(url), "{url}");
        }
        assert!(!refused("https://8.8.8.8/hook") && !refused("https://hooks.example.com/x"));
        for url in ["ftp://example.com/x", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)"] {
            assert!(refused(url), "{url}");
        }
        let allowed = OutboundPolicy { allow_private: true };
        assert!(
            check_url(&url::Url::parse("http://127.0.0.1:9/").expect("url"), allowed).is_ok(),
            "the operator setting allows private targets"
        );
        assert!(check_url(&url::Url::parse("ftp://127.0.0.1/").expect("url"), allowed).is_err(), "but never other schemes");
    }

    #[tokio::test]
    async fn a_host_name_resolving_to_loopback_is_refused() {
        let r = resolve_checked("localhost", 80, OutboundPolicy::default()).await;
        assert!(r.as_ref().is_err_and(|e| e.0.contains("loopback")), "{r:?}");
        assert!(check_on_save("http://localhost:8080/hook", OutboundPolicy::default()).await.is_err());
        assert!(check_on_save("http://localhost:8080/hook", OutboundPolicy { allow_private: true }).await.is_ok());
        assert!(check_on_save("https://no-such-host.invalid/hook", OutboundPolicy::default()).await.is_ok(), "checked again at send");
    }

    #[tokio::test]
    async fn the_client_never_connects_to_a_name_that_resolves_to_a_forbidden_address() {
        // A real listener on loopback: the guarded client must refuse before connecting.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let accepted =
            tokio::spawn(async move { tokio::time::timeout(std::time::Duration::from_secs(2), listener.accept()).await.is_ok() });
        let c = client(OutboundPolicy::default(), std::time::Duration::from_secs(2)).expect("client");
        let e = c.post(format!("http://localhost:{port}/hook")).body("{}").send().await.expect_err("refused");
        assert!(refusal_in(&e).is_some_and(|r| r.0.contains("loopback")), "{e:?}");
        assert!(!accepted.await.expect("join"), "no connection was made");
    }
}
