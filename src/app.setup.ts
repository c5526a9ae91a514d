import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AllExceptionsFilter } from './common/errors/all-exceptions.filter';
import { AppValidationPipe } from './common/validation/app-validation.pipe';
import type { AppConfig } from './config/app-config';

/**
 * Applies everything the HTTP edge needs: validation, error mapping, OpenAPI. The service's
 * main and the e2e tests both call this, so tests see the real pipeline. JSON bodies are
 * parsed by `JsonBodyMiddleware` (registered in AppModule), which enforces
 * `BODY_LIMIT_BYTES`.
 */
export function configureApp(app: NestExpressApplication, _config: AppConfig): void {
  app.useLogger(app.get(Logger));
  app.useGlobalPipes(new AppValidationPipe());
  app.useGlobalFilters(new AllExceptionsFilter());
  app.enableShutdownHooks();
  setUpOpenApi(app);
}

function setUpOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('qrec')
      .setDescription(
        'Self-hosted recommender backend: users, items, interaction events, recommendations, ' +
          'model versions and training runs',
      )
      .setVersion('0.1.0')
      .addApiKey({ type: 'apiKey', in: 'header', name: 'x-api-key' }, 'api-key')
      .addSecurityRequirements('api-key')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/json' });
}
