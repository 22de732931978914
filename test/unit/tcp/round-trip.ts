/** Test helper: a message encoded and decoded back. */
import { decodeFrame, encodeToBuffer, ProtocolError, senderOf, type Message } from '@switchyard/protocol';

/**
 * Encodes `msg` and decodes it back . Throws the ProtocolError when
 * the decoder refuses the bytes, and RangeError when the encoder refuses the values.
 */
export function roundTrip<M extends Message>(msg: M): M {
  const out = decodeFrame(encodeToBuffer(msg), senderOf(msg.type));
  if (out instanceof ProtocolError) throw out;
  return out as M;
}

