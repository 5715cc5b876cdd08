export { JsonBody, LargeFrame, LARGE_FRAME_BYTES, LAZY_MEMBER_BYTES, type FrameResult } from './frame.js';
export { lazyJson, mayHold, rawOf } from './lazy.js';
export { JsonScanner, type MemberSpan } from './scanner.js';
export { framed, wireBytes, wireOf, writeWire, type Pieces, type Wire } from './wire.js';
