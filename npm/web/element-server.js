// `inferplan/element` on a server (the "node" condition: Astro, Next and SvelteKit import it
// while rendering): nothing to define there. The browser gets web/element.js.
export class InferplanAdvisor {}
