export { threadedTrainer, type ThreadedTrainerOptions } from './threaded-trainer.js';
export { threadBudget, type ThreadBudget } from './thread-budget.js';
