import { latestSchema, withLogin } from '../../jobs/lib/registry';

describe('the registry client logs in from the URL it is given', () => {
  afterEach(() => jest.restoreAllMocks());

  it('sends the login as a basic Authorization header and calls the URL without it', async () => {
    const fetchMock = jest.spyOn(global, 'fetch').mockResolvedValue(new Response(JSON.stringify({ id: 1, version: 1, schema: '"string"' })));
    await latestSchema(withLogin('http://registry:8081/', 'reader', 'p@ss:word'), 'users-value');
    const [url, init] = fetchMock.mock.calls[0];
    expect(url instanceof URL ? url.href : url).toBe('http://registry:8081/subjects/users-value/versions/latest');
    expect((init?.headers as Record<string, string>).Authorization).toBe(`Basic ${Buffer.from('reader:p@ss:word').toString('base64')}`);
  });

  it('sends no Authorization header for a URL without a login, and names no URL in a refusal', async () => {
    const fetchMock = jest.spyOn(global, 'fetch').mockImplementation(() => Promise.resolve(new Response('{"error_code":40101}', { status: 401 })));
    const refusal = String(await latestSchema('http://reader:s3cret@registry:8081', 'users-value').catch((error: unknown) => error));
    expect(refusal).toMatch(/HTTP 401/);
    expect(refusal).not.toMatch(/s3cret/);
    await expect(latestSchema('http://registry:8081', 'users-value')).rejects.toThrow(/HTTP 401/);
    expect((fetchMock.mock.calls[1][1]?.headers as Record<string, string>).Authorization).toBeUndefined();
  });
});
