import { DataSource, DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations';
import { entities } from './entities';

export interface DataSourceSettings {
  url: string;
  poolSize: number;
  runMigrations: boolean;
}

/** TypeORM options shared by the service and the CLI. The schema comes only from migrations. */
export function buildDataSourceOptions(settings: DataSourceSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: settings.url,
    entities,
    migrations,
    migrationsRun: settings.runMigrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    extra: { max: settings.poolSize, application_name: 'qrec' },
  };
}

/** Opens a DataSource outside NestJS (CLI commands, scripts and tests). */
export async function openDataSource(settings: DataSourceSettings): Promise<DataSource> {
  const dataSource = new DataSource(buildDataSourceOptions(settings));
  await dataSource.initialize();
  return dataSource;
}
