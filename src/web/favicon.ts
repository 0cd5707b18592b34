import { Router } from 'express';
import { ownAsset } from './package-assets';

/** `GET /favicon.ico`, for the playground and the board page (and a browser's own request): the board's red with three rising bars. */
export function faviconRouter(): Router {
  const router = Router();
  const icon = ownAsset(__dirname, 'favicon.ico', 'image/x-icon');
  router.get('/favicon.ico', (_req, res) => {
    res.type(icon.type).set('Cache-Control', 'public, max-age=86400').send(icon.body);
  });
  return router;
}
