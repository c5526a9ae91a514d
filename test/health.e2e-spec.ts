import request from 'supertest';
import { createTestApp, TestApp } from './setup/test-app';

describe('health', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp({ API_KEY: 'test-key-0123456789' });
  });

  afterAll(async () => {
    await testApp.close();
  });

  it('live answers without an API key', async () => {
    const response = await request(testApp.app.getHttpServer()).get('/health/live');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok' });
  });

  it('ready checks the database', async () => {
    const response = await request(testApp.app.getHttpServer()).get('/health/ready');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok', database: 'ok' });
  });

  it('docs are public', async () => {
    const response = await request(testApp.app.getHttpServer()).get('/docs/json');

    expect(response.status).toBe(200);
    expect(response.body.info.title).toBe('qrec');
  });
});
