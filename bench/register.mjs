// `npm run bench`'s loader: tsx for bench/'s own TypeScript, with bench/tsconfig.json, whose lack of the
// root's paths and `source` condition makes `effect-http-auth` the built dist/ (see that file)
import { register } from "tsx/esm/api"

register({ tsconfig: new URL("./tsconfig.json", import.meta.url).pathname })
