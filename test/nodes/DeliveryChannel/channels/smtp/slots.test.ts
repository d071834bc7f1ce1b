/**
 * Connection slots across processes (smtp/slots.ts with smtp/parking.ts): a connection one process
 * keeps between executions holds one of the account's slots; when a pool of another process waits
 * for a slot, the kept connection closes at once and its slot goes to the waiter, instead of the
 * waiter sitting out the 15 s the connection would otherwise be kept. Two Redis coordinators on one
 * Redis stand for two n8n workers; the two pools use settings that differ only in their client name,
 * so neither gets the other's kept connection directly, as between two processes.
 */
import { RedisCoordinator } from '../../../../../core/coordination/redis';
import type { SmtpEnvelope } from '../../../../../nodes/DeliveryChannel/channels/smtp/connection';
import { PARKED_IDLE_MS } from '../../../../../nodes/DeliveryChannel/channels/smtp/parking';
import { smtpSettings } from '../../../../../nodes/DeliveryChannel/channels/smtp/settings';
import { SmtpPool } from '../../../../../nodes/DeliveryChannel/channels/smtp/transport';
import { startSmtpServer, type TestSmtpServer } from '../../../../helpers/smtp-server';
import { describeWithRedis, startRedis, type TestRedis } from '../../../../support/redis';

jest.setTimeout(30_000);

describeWithRedis('Custom SMTP connection slots shared by two workers', () => {
	let redis: TestRedis;
	let server: TestSmtpServer;
	const coordinators: RedisCoordinator[] = [];
	beforeAll(async () => {
		redis = await startRedis();
	});
	afterAll(async () => {
		await Promise.all(coordinators.map((c) => c.close()));
		await redis?.stop();
	});
	afterEach(async () => {
		await server?.close();
	});

	const worker = (clientHostname: string) => {
		const coordinator = new RedisCoordinator({ host: redis.host, port: redis.port });
		coordinators.push(coordinator);
		const settings = smtpSettings({
			host: server.host,
			port: server.port,
			security: 'none',
			clientHostname,
		});
		// One slot for the account, as a server that allows one connection.
		return () => new SmtpPool(settings, 1, { slots: { coordinator, account: 'smtp:cred-slots' } });
	};
	const message = (lead: string): [SmtpEnvelope, Buffer] => [
		{ from: 'jane@example.com', to: [`${lead}@example.org`] },
		Buffer.from(`Subject: Hi ${lead}\r\n\r\nHello\r\n`),
	];

	test("a connection kept by one worker frees the account's only slot as soon as another worker waits for it", async () => {
		server = await startSmtpServer();
		const first = worker('worker-one.example')();
		await first.deliver(...message('a'));
		await first.close(); // the connection is kept (parked), holding the slot
		expect(server.openConnections).toBe(1);

		const second = worker('worker-two.example')();
		const started = Date.now();
		await second.deliver(...message('b'));
		const waited = Date.now() - started;
		await second.close();

		expect(server.received).toHaveLength(2);
		expect(server.connections).toBe(2);
		// Freed within about a second (a 100 ms announcement, a 250 ms look), not after the kept
		// connection's idle time.
		expect(waited).toBeLessThan(PARKED_IDLE_MS / 3);
	});
});
