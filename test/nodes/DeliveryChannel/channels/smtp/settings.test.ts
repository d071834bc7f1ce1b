import {
	portSecurityMismatch,
	smtpSettings,
} from '../../../../../nodes/DeliveryChannel/channels/smtp/settings';

describe('smtpSettings', () => {
	it('maps the credential to a connection with certificate checks on', () => {
		const settings = smtpSettings({
			host: ' smtp.example.com ',
			port: 587,
			security: 'starttls',
			user: 'rep@example.com',
			password: 'secret',
		});
		expect(settings).toMatchObject({
			host: 'smtp.example.com',
			port: 587,
			security: 'starttls',
			auth: { user: 'rep@example.com', pass: 'secret' },
		});
		expect(settings.connection).toMatchObject({
			secure: false,
			requireTLS: true,
			ignoreTLS: false,
			tls: { rejectUnauthorized: true, servername: 'smtp.example.com' },
		});
		expect(smtpSettings({ host: 'h', port: 465, security: 'tls' }).connection).toMatchObject({
			secure: true,
		});
		expect(smtpSettings({ host: 'h', security: 'tls' }).port).toBe(465);
		expect(smtpSettings({ host: 'h', security: 'none' }).auth).toBeUndefined();
	});

	it('refuses a port whose encryption contradicts Security, naming the field and the port that fits', () => {
		expect(() => smtpSettings({ host: 'h', port: 465, security: 'starttls' })).toThrow(
			expect.objectContaining({
				code: 'EINPUT',
				field: 'port',
				message: expect.stringMatching(/Port 465 is for SSL\/TLS.*\(587\)/),
			}),
		);
		expect(() => smtpSettings({ host: 'h', port: 587, security: 'tls' })).toThrow(
			expect.objectContaining({ field: 'port', message: expect.stringContaining('(465)') }),
		);
		expect(() => smtpSettings({ host: 'h', port: 25, security: 'tls' })).toThrow(
			expect.objectContaining({ field: 'port' }),
		);
		// other ports are the administrator's choice
		expect(smtpSettings({ host: 'h', port: 2525, security: 'tls' }).port).toBe(2525);
		expect(smtpSettings({ host: 'h', port: 2465, security: 'starttls' }).port).toBe(2465);
	});

	it('refuses a missing host, an unknown security value and an invalid port', () => {
		expect(() => smtpSettings({ host: ' ' })).toThrow(expect.objectContaining({ field: 'host' }));
		expect(() => smtpSettings({ host: 'h', security: 'ssl3' })).toThrow(
			expect.objectContaining({ field: 'security' }),
		);
		expect(() => smtpSettings({ host: 'h', port: 70000 })).toThrow(
			expect.objectContaining({ field: 'port' }),
		);
	});
});

describe('portSecurityMismatch', () => {
	it('knows only the ports assigned to one kind of security', () => {
		const labels = { port: 'Port', security: 'Security' };
		expect(portSecurityMismatch(993, false, labels)).toContain('(143)');
		expect(portSecurityMismatch(993, true, labels)).toBeUndefined();
		expect(portSecurityMismatch(143, false, labels)).toBeUndefined();
		expect(portSecurityMismatch(10025, true, labels)).toBeUndefined();
	});
});
