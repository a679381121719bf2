/** The challenge the digest benches answer, without its algorithm (appended). */
export const challenge = 'Digest realm="bench", nonce="abc", qop="auth", algorithm='

/** As long as Digest's answer to that challenge for /items?page=2 (a 32-hex response, a 44-character cnonce). */
export const digestLength = `Digest username="user", realm="bench", nonce="abc", uri="/items?page=2", response="${"0".repeat(32)}", qop=auth, nc=00000001, cnonce="${"A".repeat(44)}", algorithm=MD5`
