/* Entry point of widget/handoff.js (built by build.mjs into one self-contained script). */
import { install } from './public.js';

// the snippet was pasted twice: the first copy stays in charge
if (!(window.Handoff && window.Handoff._loaded)) install(window);
