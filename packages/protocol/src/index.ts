/**
 * Switchyard binary order-entry protocol, version 1 (codec and session rules, no sockets).
 *
 * In the spirit of NASDAQ OUCH 4.2 carried over SoupBinTCP, but flattened into one layer:
 *
 *   frame   = length:u16 LE | type:u8 | body
 *   length  = number of bytes after the length field (1 type byte + body), 1..MAX_PAYLOAD_LENGTH
 *
 * All integers are little-endian. 64-bit integers that the JS side carries as `number`
 * (sequence numbers, order ids, prices, quantities, timestamps in ms) must lie within
 * ±(2^53 − 1); a frame carrying a larger value is malformed (PROTOCOL_BAD_FIELD). The only
 * full-range 64-bit field is `receivedAtNs` in Ack, carried as a bigint.
 *
 * The byte-level layout of every message is documented in docs/tcp-protocol.md; keep the two in
 * step (the round-trip tests pin the offsets listed there).
 *
 * Encoders write into a caller-provided Buffer at an offset and return the number of bytes
 * written; they allocate nothing except for strings that must be measured. {@link FrameDecoder}
 * is a streaming decoder that accepts arbitrary chunk boundaries. The session rules (session.ts)
 * are a pure state machine both the server and test peers use.
 *
 * This package is what a client needs and all the server shares with it: the codec, the
 * session rules, the reason table, the order enums and the byte helpers.
 */
export * from './bytes.js';
export * from './decode.js';
export * from './describe.js';
export * from './encode.js';
export * from './messages.js';
export * from './order.js';
export * from './reasons.js';
export * from './session.js';
export * from './fifo.js';
