// wg-quick files in the shapes VPN providers hand out, with throwaway keys
// made for these tests (`wg genkey`): never a key in use anywhere.

export const KEYS = {
  clientPrivate: 'sHwTiN4jzsPgR0Ft2bPcZ1GTcHgRqorILgtgAjJ3+VE=',
  clientPublic: '4zpzukXJkr0MovtOt/EcorulwkbqaYIM3XOfqUKMGws=',
  serverPrivate: 'OCugdjcBg3+Mx8Hwh+gJZ+Aw1wALmoh1L2TTST8CFEw=',
  serverPublic: 'yM+8A+ok6O1oU0ZiIJapSlkeNytrifgA0FlCddUmRjU=',
  otherPrivate: 'uHpFfft5GCfi2ZeMPxzVob7tarqxBWCE32djX53T1mw=',
  otherPublic: 'hR1Dq3VR3wThrm1hNXTlzWYnNHvaB11Hkps/OVFdHms=',
  preshared: 'i9mzz8yAJspXvTwDnEGIzk9dUpH4rTyvZ0Dh8itY8B8=',
} as const;

/** Mullvad's shape: comma lists without spaces, v4 and v6 addresses, one DNS server. */
export const MULLVAD = `[Interface]
# Device: Quick Otter
PrivateKey = ${KEYS.clientPrivate}
Address = 10.64.222.21/32,fc00:bbbb:bbbb:bb01::1:de14/128
DNS = 10.64.0.1

[Peer]
PublicKey = ${KEYS.serverPublic}
AllowedIPs = 0.0.0.0/0,::/0
Endpoint = 185.213.154.68:51820
`;

/** Proton's shape: comments full of settings, a '#' inside a comment. */
export const PROTON = `[Interface]
# Key for myrouter
# Bouncing = 6
# NetShield = 1
# Moderate NAT = off
# VPN Accelerator = on
PrivateKey = ${KEYS.clientPrivate}
Address = 10.2.0.2/32
DNS = 10.2.0.1

[Peer]
# CH#13
PublicKey = ${KEYS.serverPublic}
AllowedIPs = 0.0.0.0/0
Endpoint = 185.159.157.13:51820
`;

/** IVPN's shape: a host name endpoint, a /96 v6 address, keepalive. */
export const IVPN = `[Interface]
PrivateKey = ${KEYS.clientPrivate}
Address = 172.18.1.2/32, fd00:4956:504e:ffff::ac12:102/96
DNS = 172.16.0.1

[Peer]
PublicKey = ${KEYS.serverPublic}
Endpoint = localhost:2049
AllowedIPs = 0.0.0.0/0, ::/0
PersistentKeepalive = 25
`;

/** Everything else a hand-edited file has: case, tabs, CRLF, repeats, search domains, two peers, a v6 endpoint. */
export const MESSY = [
  '  [interface]  ',
  'privatekey=' + KEYS.clientPrivate + '   # trailing comment',
  '\tADDRESS = 10.9.0.2/24',
  'Address = fd42::2/64 , 10.9.1.2',
  'dns = 10.9.0.1, fd42::1 corp.example, lab.example',
  'DNS = 10.9.0.53',
  'MTU = 1380',
  'ListenPort = 51999',
  'FwMark = 0x1f',
  'Table = auto',
  'SaveConfig = false',
  '',
  '[PEER]',
  'PublicKey = ' + KEYS.serverPublic,
  'PresharedKey = ' + KEYS.preshared,
  'Endpoint = [2001:db8::1]:51820',
  'AllowedIPs = 10.9.0.0/24',
  'AllowedIPs = fd42::/64',
  'PersistentKeepalive = off',
  '',
  '[Peer]',
  'PublicKey = ' + KEYS.otherPublic,
  'Endpoint = 192.0.2.7:4500',
  'AllowedIPs = 192.168.77.9/24, 10.9.0.0/24',
].join('\r\n');

export const SAMPLES = { mullvad: MULLVAD, proton: PROTON, ivpn: IVPN, messy: MESSY } as const;
