import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies defaults to an empty environment', () => {
    const config = loadConfig({});

    expect(config.http.port).toBe(3000);
    expect(config.http.host).toBe('127.0.0.1');
    expect(config.database.url).toBeUndefined();
    expect(config.database.embeddedDataDir).toMatch(/data\/postgres$/);
    expect(config.database.runMigrations).toBe(true);
    expect(config.interactions.eventTypes).toContain('purchase');
    expect(config.interactions.autoCreateItems).toBe(false);
  });

  it('parses every kind of value', () => {
    const config = loadConfig({
      PORT: '8080',
      RUN_MIGRATIONS: 'false',
      AUTO_CREATE_ITEMS: 'true',
      EVENT_TYPES: 'view, purchase',
      DATABASE_URL: 'postgres://u:p@db:5432/qrec',
      API_KEY: 'k'.repeat(16),
    });

    expect(config.http.port).toBe(8080);
    expect(config.database.runMigrations).toBe(false);
    expect(config.interactions.autoCreateItems).toBe(true);
    expect(config.interactions.eventTypes).toEqual(['view', 'purchase']);
    expect(config.database.url).toBe('postgres://u:p@db:5432/qrec');
    expect(config.auth.apiKey).toBe('k'.repeat(16));
  });

  it('treats empty strings as unset', () => {
    const config = loadConfig({ API_KEY: '', PORT: '' });

    expect(config.auth.apiKey).toBeUndefined();
    expect(config.http.port).toBe(3000);
  });

  it('lists every invalid variable', () => {
    let caught: unknown;
    try {
      loadConfig({ PORT: 'eighty', RUN_MIGRATIONS: 'maybe', EVENT_TYPES: 'View' });
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems.some((p) => p.startsWith('PORT="eighty"'))).toBe(true);
    expect(problems.some((p) => p.startsWith('RUN_MIGRATIONS="maybe"'))).toBe(true);
    expect(problems.some((p) => p.startsWith('EVENT_TYPES="View"'))).toBe(true);
  });

  it('redacts secrets in errors', () => {
    expect(() => loadConfig({ API_KEY: 'short-secret' })).toThrow('API_KEY=<redacted>');
  });

  it('reads the training settings', () => {
    const defaults = loadConfig({}).training;
    const custom = loadConfig({
      TRAINING_RUNNER_ENABLED: 'false',
      TRAINING_THREADS: '2',
      TRAINING_NICE: '5',
      TRAINING_PROMOTION_TOLERANCE: '0.01',
      TRAINING_HEARTBEAT_TIMEOUT_SECONDS: '30',
      TRAINING_POLL_INTERVAL_MS: '500',
      RETRAIN_INTERVAL: '6h',
    }).training;

    expect(defaults).toEqual({
      runnerEnabled: true,
      threads: 1,
      niceness: 19,
      promotionTolerance: 0.005,
      heartbeatTimeoutSeconds: 60,
      pollIntervalMs: 5000,
      retrainIntervalMs: undefined,
    });
    expect(custom).toEqual({
      runnerEnabled: false,
      threads: 2,
      niceness: 5,
      promotionTolerance: 0.01,
      heartbeatTimeoutSeconds: 30,
      pollIntervalMs: 500,
      retrainIntervalMs: 6 * 3_600_000,
    });
  });

  it('rejects an out-of-range TRAINING_NICE', () => {
    expect(() => loadConfig({ TRAINING_NICE: '20' })).toThrow('TRAINING_NICE="20"');
  });

  it('rejects a malformed RETRAIN_INTERVAL', () => {
    expect(() => loadConfig({ RETRAIN_INTERVAL: '6 hours' })).toThrow(
      'RETRAIN_INTERVAL="6 hours": must be a whole number followed by m, h or d',
    );
  });
});

describe('loadConfig model serving', () => {
  it('polls every 10 s by default', () => {
    expect(loadConfig({}).models.pollIntervalMs).toBe(10_000);
  });

  it('accepts 0 to turn polling off', () => {
    expect(loadConfig({ MODEL_POLL_INTERVAL_MS: '0' }).models.pollIntervalMs).toBe(0);
  });

  it.each(['-1', '1.5', 'soon', '3600001'])('rejects MODEL_POLL_INTERVAL_MS=%s', (value) => {
    expect(() => loadConfig({ MODEL_POLL_INTERVAL_MS: value })).toThrow(
      `MODEL_POLL_INTERVAL_MS=${JSON.stringify(value)}`,
    );
  });

  it('runs one single-threaded, non-spinning worker session by default', () => {
    const config = loadConfig({});

    expect(config.models).toMatchObject({
      servingWorker: true,
      servingThreads: 1,
      servingSpinning: false,
    });
    expect(config.recommendations.batchMaxInFlight).toBe(1);
  });

  it('reads the serving settings', () => {
    const config = loadConfig({
      SERVING_WORKER: 'false',
      SERVING_THREADS: '2',
      SERVING_SPINNING: 'true',
      RECOMMEND_BATCH_MAX_IN_FLIGHT: '3',
    });

    expect(config.models).toMatchObject({
      servingWorker: false,
      servingThreads: 2,
      servingSpinning: true,
    });
    expect(config.recommendations.batchMaxInFlight).toBe(3);
  });

  it.each([
    ['SERVING_THREADS', '-1'],
    ['SERVING_THREADS', 'two'],
    ['RECOMMEND_BATCH_MAX_IN_FLIGHT', '0'],
    ['SERVING_WORKER', 'maybe'],
  ])('rejects %s=%s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(`${name}=${JSON.stringify(value)}`);
  });
});
