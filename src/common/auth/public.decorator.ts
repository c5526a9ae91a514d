import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'qrec:isPublic';

/** Marks a controller or route as reachable without an API key (health checks). */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(IS_PUBLIC_KEY, true);
