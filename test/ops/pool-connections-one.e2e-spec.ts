import { describePoolSweep } from './pool-connections.js';

describePoolSweep(1);
