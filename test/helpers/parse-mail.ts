/** Parses a received message with postal-mime, for assertions on what actually went over the wire. */
import PostalMime from 'postal-mime';

export async function simpleParser(raw: Buffer) {
	return await PostalMime.parse(raw);
}
