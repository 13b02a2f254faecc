import { CupsProtocolError, rawSigningPublicKey, signingKeyCrc, signingPublicKey } from '../../protocol/index.ts';
import { InvalidFirmware } from '../errors.ts';
import { verifyImageSignature } from './image-store.ts';

/** A signature offered for an image, with the public key that made it (PEM, DER or a station's raw sig-N.key). */
export interface OfferedSignature {
  publicKey: Buffer;
  signature: Buffer;
  /** How the caller named them, for messages: files, or a field of a body. */
  label: string;
}

export const keyCrcText = (crc: number) => `0x${crc.toString(16).toUpperCase().padStart(8, '0')}`;

/**
 * Checks each signature over the image (read anew for each) as a station would, and returns them
 * by key CRC. An image with none is refused unless `unsigned` says it is meant so.
 */
export async function checkSignatures(
  image: () => AsyncIterable<Buffer>,
  offered: readonly OfferedSignature[],
  unsigned: boolean,
): Promise<{ keyCrc: number; signature: Buffer }[]> {
  if (offered.length === 0 && !unsigned) throw new InvalidFirmware('give a signature and its public key, or say the image is unsigned');
  const checked: { keyCrc: number; signature: Buffer }[] = [];
  for (const { publicKey, signature, label } of offered) {
    let keyCrc: number;
    let key: ReturnType<typeof signingPublicKey>;
    try {
      const raw = rawSigningPublicKey(publicKey);
      keyCrc = signingKeyCrc(raw);
      key = signingPublicKey(raw);
    } catch (error) {
      if (error instanceof CupsProtocolError) throw new InvalidFirmware(`${label}: ${error.message}`);
      throw error;
    }
    if (!(await verifyImageSignature(image(), signature, key)))
      throw new InvalidFirmware(
        `${label} is not a valid signature of the image by the key of CRC ${keyCrcText(keyCrc)}; nothing was stored`,
      );
    checked.push({ keyCrc, signature });
  }
  return checked;
}
